/* evaluation: reflection autosave backup, htmx error handling. No inline scripts (strict CSP). */
(function () {
  "use strict";

  function hhmm(d) {
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function chineseCount(text) {
    var m = text.match(/[\u4e00-\u9fff]/g);
    return m ? m.length : 0;
  }

  function initEditor(form) {
    var key = form.dataset.autosaveKey;
    var body = form.querySelector("[name=body]");
    var title = form.querySelector("[name=title]");
    var rev = form.querySelector("[name=rev]");
    var counter = form.querySelector("[data-char-count]");
    var min = parseInt(form.dataset.minChars || "0", 10);
    var serverRev = parseInt(form.dataset.serverRev || "0", 10);
    var dirty = false;
    // The edit counter of the newest text the server has confirmed, and requests under way:
    // "已保存 HH:MM" may stand only while nothing newer than that text is in the editor.
    var ackedRev = serverRev;
    var inFlight = 0;
    var savingText = form.dataset.savingText || "保存中…";
    var unsavedText = form.dataset.unsavedText || "未保存";

    function status() { return document.getElementById("save-status"); }
    function setStatus(text, cls) {
      var el = status();
      if (!el) return;
      el.textContent = text;
      el.className = "save-status " + (cls || "");
    }
    function count() {
      if (!counter) return;
      var n = chineseCount(body.value);
      counter.textContent = n;
      counter.className = n >= min ? "count-ok" : "count-low";
    }
    function store() {
      try {
        localStorage.setItem(key, JSON.stringify({
          rev: parseInt(rev.value, 10), body: body.value, title: title ? title.value : "", synced: false
        }));
      } catch (e) { /* storage full or private mode: the server copy still works */ }
    }
    function markSynced() {
      dirty = false;
      try {
        var saved = JSON.parse(localStorage.getItem(key) || "null");
        if (saved && saved.rev <= parseInt(rev.value, 10)) {
          saved.synced = true;
          localStorage.setItem(key, JSON.stringify(saved));
        }
      } catch (e) { /* ignore */ }
    }
    function newerThanSaved() { return parseInt(rev.value, 10) > ackedRev; }
    function showPending() {
      if (newerThanSaved()) setStatus(inFlight > 0 ? savingText : unsavedText, "pending");
    }
    function resync() { if (dirty && window.htmx) window.htmx.trigger(body, "lectern:resync"); }

    // A newer local copy than the server's (closed tab, lost connection): restore and catch up.
    try {
      var saved = JSON.parse(localStorage.getItem(key) || "null");
      if (saved && !saved.synced && saved.rev > serverRev && saved.body !== body.value) {
        body.value = saved.body;
        if (title) title.value = saved.title || "";
        rev.value = saved.rev;
        dirty = true;
        setStatus(form.dataset.restoredText || "已从本机恢复未同步的内容", "offline");
        window.setTimeout(resync, 300);
      }
    } catch (e) { /* ignore */ }

    form.addEventListener("input", function () {
      rev.value = Date.now();
      dirty = true;
      store();
      count();
      showPending();
    });
    function beforeRequest(evt) {
      if (evt.detail.xhr) evt.detail.xhr.lecternRev = parseInt(rev.value, 10);
      inFlight += 1;
      showPending();
    }
    function settle(xhr) {
      if (!xhr || xhr.lecternSettled) return;
      xhr.lecternSettled = true;
      inFlight = Math.max(0, inFlight - 1);
      if (xhr.status >= 200 && xhr.status < 300 && xhr.lecternRev) {
        ackedRev = Math.max(ackedRev, xhr.lecternRev);
      }
    }
    // Book-keeping before the server's status is swapped in (the event fires on the swap
    // target, #save-status), so the check after the swap is right.
    document.addEventListener("htmx:beforeSwap", function (evt) {
      var xhr = evt.detail.xhr;
      if (xhr && xhr.lecternRev) settle(xhr);
    });
    function afterRequest(evt) {
      var xhr = evt.detail.xhr;
      settle(xhr);
      if (evt.detail.successful) {
        if (newerThanSaved()) { showPending(); } else { markSynced(); }
      } else if (xhr && xhr.status === 409) { dirty = false; }
      else { setStatus((form.dataset.offlineText || "网络中断,内容已保存在本机") + " " + hhmm(new Date()), "offline"); }
    }
    [body, title].forEach(function (el) {
      if (!el) return;
      el.addEventListener("htmx:beforeRequest", beforeRequest);
      el.addEventListener("htmx:afterRequest", afterRequest);
    });
    // The server's "已保存 HH:MM" replaces the element; keep it honest if newer text waits.
    document.addEventListener("htmx:afterSwap", function (evt) {
      if (evt.detail.target && evt.detail.target.id === "save-status") showPending();
    });
    form.addEventListener("submit", function () { store(); });
    window.addEventListener("online", resync);
    window.setInterval(resync, 20000);
    count();
  }

  function init() {
    document.querySelectorAll("form[data-autosave-key]").forEach(initEditor);
    document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
      try { localStorage.removeItem(el.dataset.clearDraft); } catch (e) { /* ignore */ }
    });
  }

  // Let a 409 (essay already submitted) replace the status text instead of failing silently.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr.status === 409) { evt.detail.shouldSwap = true; evt.detail.isError = false; }
  });
  document.addEventListener("click", function (evt) {
    var el = evt.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) { evt.preventDefault(); }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
