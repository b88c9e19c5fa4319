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
    if (form) {
      try {
        var data = new FormData(form);
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

  if (form) form.addEventListener("submit", quickExit);

  var shiftTimes = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) return;
    var now = Date.now();
    shiftTimes = shiftTimes.filter(function (t) { return now - t < 5000; });
    shiftTimes.push(now);
    if (shiftTimes.length >= 3) {
      shiftTimes = [];
      quickExit();
    }
  });

  // Pages restored from the back/forward cache must not show the site again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && exiting) window.location.replace(exitUrl);
  });
})();
