// Searchable picker (core/widgets.py SearchPicker): the id input becomes hidden and a search box
// with a listbox of matches (fetched as JSON from the picker's endpoint) takes its place.
// Without this script the id input and the current choice's name stay as they are.
(function () {
  "use strict";
  let seq = 0;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function init(box) {
    if (box.dataset.pickerReady) return;
    box.dataset.pickerReady = "1";
    const idInput = box.querySelector(".picker-id");
    const current = box.querySelector(".picker-current");
    const d = box.dataset;
    const listId = "picker-" + (++seq);
    const search = el("input", "picker-search");
    search.type = "search";
    search.autocomplete = "off";
    search.placeholder = d.pickerPlaceholder;
    search.setAttribute("role", "combobox");
    search.setAttribute("aria-autocomplete", "list");
    search.setAttribute("aria-expanded", "false");
    search.setAttribute("aria-controls", listId);
    if (idInput.id) { search.id = idInput.id; idInput.removeAttribute("id"); }
    if (!search.id || !document.querySelector("label[for='" + search.id + "']")) {
      search.setAttribute("aria-label", d.pickerPlaceholder);
    }
    if (idInput.getAttribute("aria-describedby")) {
      search.setAttribute("aria-describedby", idInput.getAttribute("aria-describedby"));
    }
    if (idInput.getAttribute("aria-invalid")) search.setAttribute("aria-invalid", "true");
    idInput.type = "hidden";
    const list = el("ul", "picker-list");
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    let clear = null;
    if (d.pickerOptional !== undefined) {
      clear = el("button", "picker-clear", d.pickerClear);
      clear.type = "button";
      clear.hidden = !idInput.value;
      clear.addEventListener("click", function () {
        choose(null, "");
        search.focus();
      });
    }
    box.insertBefore(search, current);
    if (clear) box.insertBefore(clear, current.nextSibling);
    box.appendChild(list);

    let timer = null;
    let asked = 0;
    let active = -1;

    function options() { return Array.from(list.querySelectorAll("[role=option]")); }

    function close() {
      list.hidden = true;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      const opts = options();
      if (!opts.length) return;
      active = (i + opts.length) % opts.length;
      opts.forEach(function (o, n) { o.setAttribute("aria-selected", n === active ? "true" : "false"); });
      search.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }

    function choose(id, label) {
      idInput.value = id === null ? "" : String(id);
      current.textContent = "";
      if (id === null) current.appendChild(el("span", "muted", d.pickerNone));
      else current.textContent = label;
      if (clear) clear.hidden = id === null;
      search.value = "";
      close();
      idInput.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(data) {
      list.textContent = "";
      data.results.forEach(function (row, n) {
        const li = el("li", "picker-option", row.label);
        li.id = listId + "-" + n;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.id = row.id;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { choose(row.id, row.label); });
        list.appendChild(li);
      });
      if (!data.results.length) list.appendChild(el("li", "picker-note", d.pickerEmpty));
      if (data.more) list.appendChild(el("li", "picker-note", d.pickerMore));
      list.hidden = false;
      search.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function ask() {
      const mine = ++asked;
      const url = d.pickerUrl + (d.pickerUrl.indexOf("?") < 0 ? "?" : "&") +
        "q=" + encodeURIComponent(search.value.trim());
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) { if (mine === asked && document.activeElement === search) show(data); })
        .catch(function () {
          if (mine !== asked) return;
          list.textContent = "";
          list.appendChild(el("li", "picker-note", d.pickerError));
          list.hidden = false;
        });
    }

    search.addEventListener("input", function () {
      // the matches shown are for the old text: drop them (and any answer still on its way)
      clearTimeout(timer);
      asked++;
      close();
      timer = setTimeout(ask, 200);
    });
    search.addEventListener("focus", ask);
    search.addEventListener("blur", function () { setTimeout(close, 150); });
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) ask(); else highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter") {
        const opts = options();
        if (!list.hidden && (active >= 0 || opts.length === 1)) {
          e.preventDefault();
          const o = opts[active >= 0 ? active : 0];
          choose(o.dataset.id, o.textContent);
        } else if (!list.hidden || search.value.trim()) {
          e.preventDefault();  // no match chosen yet: Enter does not submit the form
        }
      }
    });
  }

  function scan(root) {
    (root || document).querySelectorAll(".picker[data-picker-url]").forEach(init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { scan(); });
  else scan();
  document.addEventListener("htmx:load", function (e) { scan(e.target); });
})();
