// enrollment: drag a trainee onto another discussion group; the move is posted with htmx and
// the board partial comes back. The per-person form does the same without JavaScript.
(function () {
  "use strict";
  let dragged = null;

  document.addEventListener("dragstart", (ev) => {
    const li = ev.target.closest && ev.target.closest("li[data-enrollment]");
    if (!li) return;
    dragged = li;
    li.classList.add("en-dragging");
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", li.dataset.enrollment);
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("en-dragging");
    dragged = null;
    document.querySelectorAll(".en-drop").forEach((el) => el.classList.remove("en-drop"));
  });

  document.addEventListener("dragover", (ev) => {
    const group = ev.target.closest && ev.target.closest(".en-group[data-group]");
    if (!group || !dragged || !group.dataset.group) return;
    ev.preventDefault();
    group.classList.add("en-drop");
  });

  document.addEventListener("dragleave", (ev) => {
    const group = ev.target.closest && ev.target.closest(".en-group");
    if (group && !group.contains(ev.relatedTarget)) group.classList.remove("en-drop");
  });

  document.addEventListener("drop", (ev) => {
    const group = ev.target.closest && ev.target.closest(".en-group[data-group]");
    const board = document.getElementById("group-board");
    if (!group || !board || !dragged || !group.dataset.group) return;
    ev.preventDefault();
    const enrollment = ev.dataTransfer.getData("text/plain");
    if (!enrollment || !window.htmx) return;
    window.htmx.ajax("POST", board.dataset.moveUrl, {
      target: "#group-board",
      swap: "outerHTML",
      values: { enrollment: enrollment, group: group.dataset.group },
    });
  });
})();
