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
