// Small additions for Today, the safety plan and reminders. Every form here posts without it.
(function () {
  "use strict";

  // A check-in or counter refused with 400 comes back with its message: show it in place.
  var inPlace = ["today-checkin", "counters"];
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && inPlace.indexOf(target.id) >= 0 && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // "Print" buttons: the browser's own print dialog.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // A reminder's time zone starts as the browser's own, until the person has chosen one.
  var zone = document.querySelector("select[data-detect-time-zone]");
  if (zone && window.Intl) {
    var detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (detected && zone.querySelector('option[value="' + detected.replace(/"/g, "") + '"]')) {
      zone.value = detected;
    }
  }
})();
