// The journal's small script. The editor saves, previews and shows errors without it; this only
// adds the last bits: messages on refused autosaves, retries when the server is away for a moment,
// local times, and a final save on leaving.
(function () {
  "use strict";

  // An autosave, preview or import check refused with 400 (text too long, a file we cannot read)
  // carries a message to show.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var ours = target && (target.id === "autosave-status" || target.id === "preview" || target.id === "import-step");
    if (ours && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // "Draft saved at 14:02" in the reader's own time zone, not the server's, and on the same
  // 24-hour clock as every other time on the site (never "02:02 PM" beside "14:02").
  function localTimes(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        el.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
      }
    });
  }
  document.addEventListener("htmx:load", function (event) {
    if (event.detail && event.detail.elt && event.detail.elt.querySelectorAll) localTimes(event.detail.elt);
  });

  // Take keyboard and screen reader users straight to what needs fixing.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  var form = document.querySelector("form[data-autosave]");
  if (!form) return;

  // An autosave that meets no server (offline, a restart) or a 5xx (the database away for a
  // moment) is tried again after 1, 2, 4 ... up to 30 seconds, until the server answers. The
  // text stays in the editor all along; htmx swaps nothing on these errors.
  var RETRY_MAX_MS = 30000;
  var retryDelay = 1000;
  var retryTimer = null;
  var dirty = false;
  var submitting = false;

  function autosaveStatus(text) {
    var status = document.getElementById("autosave-status");
    if (status) status.textContent = text;
  }
  function retryAutosave() {
    retryTimer = null;
    // The form's own "change" trigger: an autosave of everything in the editor now.
    form.dispatchEvent(new Event("change"));
  }
  function autosaveFailed(event) {
    if (event.detail.elt !== form) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status && status < 500) return;  // a refusal in words (400) is shown, not retried
    dirty = true;  // what was sent is not saved: a closing tab sends it once more
    autosaveStatus("Not saved yet — will try again");
    if (retryTimer === null) {
      retryTimer = setTimeout(retryAutosave, retryDelay);
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    }
  }
  form.addEventListener("htmx:sendError", autosaveFailed);
  form.addEventListener("htmx:responseError", autosaveFailed);
  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt === form && event.detail.successful) retryDelay = 1000;
  });
  window.addEventListener("online", function () {
    if (retryTimer !== null) {
      clearTimeout(retryTimer);
      retryAutosave();
    }
  });

  // Words typed in the last two seconds before the tab closes are sent as a draft at once.
  if (!navigator.sendBeacon) return;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { submitting = true; });
  form.addEventListener("htmx:beforeRequest", function (event) {
    // The autosave about to leave carries everything typed so far.
    if (event.detail.elt === form) dirty = false;
  });

  function flush() {
    if (!dirty || submitting) return;
    if (navigator.sendBeacon(form.getAttribute("hx-post"), new FormData(form))) dirty = false;
  }
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
})();
