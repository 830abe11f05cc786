// The offline outbox for the visit form (走访离线暂存). Loaded on every page for signed-in users.
//
// - A form marked data-offline-outbox that is submitted while the phone is offline is kept in
//   IndexedDB on the phone (with its photos) and the officer sees "已暂存，恢复网络后自动提交".
// - When the connection is back (the "online" event, or the next page opened online) each kept
//   form is sent once: a fresh CSRF token is read from the form's page first (the kept one may
//   belong to an ended session), then the form is posted with its one-time submission token, so
//   a send repeated by two tabs or an interrupted send is answered "该记录已保存" and nothing is
//   saved twice. If the session has ended, the form stays kept until the officer signs in again.
// - A kept form the server refuses (e.g. a date that became invalid) is kept and put back into
//   the form when the officer opens it again.
// - /visits/sw.js (a service worker) keeps the visit pages and static files so the form can be
//   opened again without a connection.
(function () {
  "use strict";
  if (!("indexedDB" in window) || !window.fetch || !window.FormData) { return; }
  var DB_NAME = "tracker-outbox", STORE = "submissions";
  var sending = false;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, {keyPath: "id", autoIncrement: true}); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function remove(id) { return tx("readwrite", function (s) { return s.delete(id); }); }

  function randomToken() {
    var bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function banner() {
    var el = document.querySelector("[data-outbox-status]");
    if (!el) {
      el = document.createElement("div");
      el.className = "alert alert-info d-none";
      el.setAttribute("role", "status");
      el.setAttribute("data-outbox-status", "");
      el.setAttribute("data-testid", "outbox-status");
      var main = document.querySelector("main");
      if (main) { main.insertBefore(el, main.firstChild); }
    }
    return el;
  }
  function show(text, kind, link) {
    var el = banner();
    el.className = "alert alert-" + (kind || "info");
    el.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      a.className = "ms-2";
      el.appendChild(a);
    }
  }

  function entriesOf(form) {
    var entries = [];
    new FormData(form).forEach(function (value, name) {
      if (value instanceof File && !value.name) { return; }  // an empty file input
      entries.push([name, value]);
    });
    return entries;
  }

  function keep(form) {
    var item = {
      url: form.getAttribute("action") || window.location.pathname + window.location.search,
      label: form.getAttribute("data-outbox-label") || "表单",
      entries: entriesOf(form), savedAt: new Date().toISOString(), refused: false
    };
    return put(item).then(function () {
      form.reset();
      var token = form.querySelector("input[name=submission_token]");
      if (token) { token.value = randomToken(); }  // this page may be filled in again: a new form
      show("已暂存，恢复网络后自动提交（" + item.label + "）", "warning");
      window.scrollTo(0, 0);
    });
  }

  function freshCsrf(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (response) {
      if (response.url.indexOf("/login") !== -1) { return null; }
      return response.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var input = doc.querySelector("input[name=csrf_token]");
        return input ? input.value : "";
      });
    });
  }

  function sendOne(item) {
    return freshCsrf(item.url).then(function (csrf) {
      if (csrf === null) { return "login"; }
      var body = new FormData();
      item.entries.forEach(function (pair) {
        body.append(pair[0], pair[0] === "csrf_token" && csrf ? csrf : pair[1]);
      });
      return fetch(item.url, {method: "POST", body: body, credentials: "same-origin"}).then(function (response) {
        return response.text().then(function (html) {
          if (response.ok && (response.redirected || html.indexOf("data-testid=\"already-saved\"") !== -1)) {
            return remove(item.id).then(function () { return {saved: response.url}; });
          }
          item.refused = true;
          return put(item).then(function () { return "refused"; });
        });
      });
    });
  }

  function flush() {
    if (sending || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    return all().then(function (items) {
      var pending = items.filter(function (i) { return !i.refused; });
      if (!pending.length) { return; }
      show("网络已恢复，正在提交暂存的记录…", "info");
      var chain = Promise.resolve(), saved = 0, lastUrl = null, problem = null;
      pending.forEach(function (item) {
        chain = chain.then(function () {
          if (problem === "login") { return; }
          return sendOne(item).then(function (result) {
            if (result && result.saved) { saved += 1; lastUrl = result.saved; } else { problem = problem || result; }
          });
        });
      });
      return chain.then(function () {
        if (problem === "login") {
          show("登录已过期：请重新登录，暂存的记录将在登录后自动提交", "warning", {href: "/login", text: "登录"});
        } else if (problem === "refused") {
          show("有暂存的记录未能提交（内容需修改），请打开原表单修改后保存", "danger");
        } else if (saved) {
          show("暂存的记录已自动提交（" + saved + " 条）", "success", lastUrl ? {href: lastUrl, text: "查看"} : null);
        }
      });
    }).catch(function () {
      show("暂存的记录暂未提交，将在网络恢复后重试", "warning");
    }).then(function () { sending = false; });
  }

  function restoreRefused(form) {
    var here = window.location.pathname + window.location.search;
    return all().then(function (items) {
      var item = items.filter(function (i) { return i.refused && i.url === here; })[0];
      if (!item) { return; }
      item.entries.forEach(function (pair) {
        if (typeof pair[1] !== "string" || pair[0] === "csrf_token") { return; }
        var fields = form.querySelectorAll("[name='" + pair[0].replace(/'/g, "") + "']");
        fields.forEach(function (el) {
          if (el.type === "radio" || el.type === "checkbox") { el.checked = el.value === pair[1]; } else { el.value = pair[1]; }
        });
      });
      return remove(item.id).then(function () {
        show("已将未能提交的暂存内容填回表单，请修改后保存", "warning");
      });
    });
  }

  // One-time tokens and the back button: a browser that loads the form again on "back" gets a
  // fresh token from the server, which would make "back, then save again" a second record. The
  // token a form was submitted with is remembered for this tab; coming back to that form by the
  // back/forward buttons puts it back, so the server answers 该记录已保存. A new visit opened by a
  // link or the menu keeps its own new token.
  var navigation = (performance.getEntriesByType && performance.getEntriesByType("navigation")[0]) || {};
  document.querySelectorAll("form").forEach(function (form, index) {
    var token = form.querySelector("input[name=submission_token]");
    if (!token || !window.sessionStorage) { return; }
    var key = "once:" + window.location.pathname + window.location.search + "#" + index;
    var used = sessionStorage.getItem(key);
    if (used && navigation.type === "back_forward") { token.value = used; }
    form.addEventListener("submit", function () { sessionStorage.setItem(key, token.value); });
  });

  document.querySelectorAll("form[data-offline-outbox]").forEach(function (form) {
    if (!navigator.onLine) {
      // Opened from the service worker's copy: a new visit needs its own one-time token.
      var token = form.querySelector("input[name=submission_token]");
      if (token) { token.value = randomToken(); }
    }
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }  // online: the ordinary submit
      event.preventDefault();
      keep(form).catch(function () { show("无法在手机上暂存，请恢复网络后再保存", "danger"); });
    });
    restoreRefused(form);
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () {
    if (document.querySelector("form[data-offline-outbox]")) {
      show("当前无网络：可继续填写，保存后将暂存在手机上，恢复网络后自动提交", "warning");
    }
  });
  flush();

  if ("serviceWorker" in navigator && document.querySelector("form[data-offline-outbox], [data-visit-page]")) {
    navigator.serviceWorker.register("/visits/sw.js", {scope: "/visits/"}).catch(function () {});
  }
})();
