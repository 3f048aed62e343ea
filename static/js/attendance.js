// attendance: the projector clock and "select all" on rosters. No inline scripts (strict CSP).
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // The projector shows the server's time in the server's time zone (what check-in is judged
  // by), not the projector PC's own clock.
  var skewMs = 0, offsetMs = 0;
  function tick() {
    var t = new Date(Date.now() + skewMs + offsetMs);
    var text = pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes()) + ":" + pad(t.getUTCSeconds());
    document.querySelectorAll("[data-clock]").forEach(function (el) { el.textContent = text; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var clock = document.querySelector("[data-clock]");
    if (clock) {
      skewMs = parseInt(clock.dataset.now, 10) * 1000 - Date.now();
      offsetMs = parseInt(clock.dataset.utcOffset, 10) * 1000;
      tick();
      setInterval(tick, 1000);
    }
    document.querySelectorAll("[data-check-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.getAttribute("data-check-all");
        box.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (cb) {
          cb.checked = box.checked;
        });
      });
    });
  });
})();

// The scan page: the GET only shows a form that POSTs the scan (CSRF-protected); submit it at
// once so the phone still needs a single tap on the QR code. Without JavaScript the trainee
// taps the button.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form && !form.dataset.submitted) {
    form.dataset.submitted = "1";
    form.submit();
  }
});
