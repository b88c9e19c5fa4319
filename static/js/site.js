// Our own small script. Everything works without it; it only makes things quicker.
(function () {
  "use strict";

  // Quick exit, after GOV.UK's "Exit this page": cover the page at once, end the session,
  // and replace this page in history so Back does not return here.
  var form = document.querySelector("[data-quick-exit]");
  var overlay = document.querySelector("[data-quick-exit-overlay]");
  var exitUrl = document.body.getAttribute("data-quick-exit-url") || "https://www.bbc.co.uk/weather";
  var exiting = false;

  function quickExit(event) {
    if (event) event.preventDefault();
    if (exiting) return;
    exiting = true;
    if (overlay) overlay.hidden = false;
    document.title = "Weather";
    // What this tab kept of the site goes now; the server's Clear-Site-Data does the rest.
    try {
      window.sessionStorage.clear();
      window.localStorage.clear();
    } catch (e) {}
    if (form) {
      try {
        var data = exitData();
        // Never follow the redirect: the neutral site is loaded by location.replace, not fetched.
        fetch(form.action, { method: "POST", body: data, credentials: "same-origin", keepalive: true, redirect: "manual" })
          .catch(function () {})
          .finally(function () { window.location.replace(exitUrl); });
      } catch (e) {
        window.location.replace(exitUrl);
      }
      // Do not wait long for our server: leaving comes first.
      window.setTimeout(function () { window.location.replace(exitUrl); }, 400);
    } else {
      window.location.replace(exitUrl);
    }
  }

  // The exit request carries what the journal editor holds, for the server to keep as a draft
  // before it ends the session. A keepalive request may carry at most 64 KiB: longer writing
  // leaves without it, and the last autosave is what is kept.
  function exitData() {
    var data = new FormData(form);
    var editor = document.querySelector("form[data-autosave]");
    if (!editor) return data;
    var fields = new FormData(editor);
    var size = 0;
    fields.forEach(function (value) { size += new Blob([value]).size + 200; });
    if (size > 60000) return data;
    fields.forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") data.append(name, value);
    });
    return data;
  }

  if (form) form.addEventListener("submit", quickExit);

  // Three presses of Shift on its own within 5 seconds leave. A press counts only when Shift
  // went down and came up with no other key in between, so capitals, shifted signs and
  // Shift+Tab never count, and any other key starts the count again. Keys pressed while an
  // input method composes text belong to that text and never count either.
  var presses = [];
  var bareShift = false;
  var composing = false;

  function startAgain() {
    presses = [];
    bareShift = false;
  }

  document.addEventListener("compositionstart", function () { composing = true; startAgain(); }, true);
  document.addEventListener("compositionend", function () { composing = false; startAgain(); }, true);
  window.addEventListener("blur", startAgain);

  document.addEventListener("keydown", function (event) {
    if (composing || event.isComposing) {
      startAgain();
    } else if (event.key === "Shift") {
      if (!event.repeat) bareShift = !(event.ctrlKey || event.altKey || event.metaKey);
    } else {
      startAgain();
    }
  }, true);

  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") return;
    var counts = bareShift && !composing && !event.isComposing;
    bareShift = false;
    if (!counts) return;
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 5000; });
    presses.push(now);
    if (presses.length >= 3) {
      presses = [];
      quickExit();
    }
  }, true);

  // Pages restored from the back/forward cache must not show the site again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && exiting) window.location.replace(exitUrl);
  });
})();
