// attendance: the projector clock and "select all" on rosters. No inline scripts (strict CSP).
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = new Date();
    var text = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    document.querySelectorAll("[data-clock]").forEach(function (el) { el.textContent = text; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-clock]")) { tick(); setInterval(tick, 1000); }
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
