// The journal's small script. The editor saves, previews and shows errors without it; this only
// adds the last bits: messages on refused autosaves, local times, and a final save on leaving.
(function () {
  "use strict";

  // An autosave or preview refused with 400 (text too long, say) carries a message to show.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var ours = target && (target.id === "autosave-status" || target.id === "preview");
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

  // Words typed in the last two seconds before the tab closes are sent as a draft at once.
  var form = document.querySelector("form[data-autosave]");
  if (!form || !navigator.sendBeacon) return;
  var dirty = false;
  var submitting = false;
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
