// programs: drag a session to another day of the timetable to move it (htmx does the request
// and swaps the changed day cells out of band).
(function () {
  "use strict";
  let dragged = null;

  document.addEventListener("dragstart", function (e) {
    const slot = e.target.closest && e.target.closest(".pg-slot[draggable=true]");
    if (!slot) return;
    dragged = slot.dataset.session;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged);
  });

  function dropCell(e) {
    return e.target.closest && e.target.closest(".day[data-drop]");
  }

  document.addEventListener("dragover", function (e) {
    const cell = dropCell(e);
    if (cell && dragged) { e.preventDefault(); cell.classList.add("pg-drop-over"); }
  });
  document.addEventListener("dragleave", function (e) {
    const cell = dropCell(e);
    if (cell) cell.classList.remove("pg-drop-over");
  });
  document.addEventListener("drop", function (e) {
    const cell = dropCell(e);
    const board = document.getElementById("tt-board");
    if (!cell || !dragged || !board) return;
    e.preventDefault();
    cell.classList.remove("pg-drop-over");
    const url = board.dataset.moveUrlTemplate.replace("/0/", "/" + dragged + "/");
    htmx.ajax("POST", url, {
      values: { date: cell.dataset.date, first: board.dataset.first, last: board.dataset.last,
                view: board.dataset.view },
      swap: "none",
    });
    dragged = null;
  });
})();

// programs: show what went wrong where the user is. A form answered with errors (or a summary
// of what a series edit will change) scrolls its summary into view and focuses it, so a long
// form submitted from its bottom button does not fail silently off-screen.
(function () {
  "use strict";
  function focusSummary(root) {
    if (!root || !root.querySelector) return;
    const box = root.matches && root.matches("[data-error-summary]")
      ? root : root.querySelector("[data-error-summary]");
    if (!box) return;
    box.scrollIntoView({ block: "center", behavior: "smooth" });
    box.focus({ preventScroll: true });
  }
  document.addEventListener("htmx:load", function (e) { focusSummary(e.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { focusSummary(document.body); });

  // Forms that undo something people rely on (a calendar address every device subscribed to)
  // ask first: data-confirm holds the question.
  document.addEventListener("submit", function (e) {
    const form = e.target;
    const question = form && form.dataset && form.dataset.confirm;
    if (question && !window.confirm(question)) e.preventDefault();
  }, true);
})();
