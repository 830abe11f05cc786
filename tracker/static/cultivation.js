// Optional enhancements for the cultivation board and the company list; every action works
// without this file through the plain forms on each card and on the list.
(function () {
  "use strict";

  // Show the certificate fields only when the chosen target is 已认定.
  function syncRecognition(form) {
    var select = form.querySelector("select[name=to_status]");
    var fields = form.querySelector(".recognition");
    if (!select || !fields) { return; }
    fields.classList.toggle("d-none-js", select.value !== "recognized");
  }
  document.querySelectorAll("form.move-form").forEach(function (form) {
    syncRecognition(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "to_status") { syncRecognition(form); }
    });
  });

  // Targets that need more than a tap: a reason (退出, 未通过) or the certificate data (已认定).
  var NEEDS_FORM = { recognized: true, rejected: true, withdrawn: true };

  function allowedOf(card) {
    return (card.getAttribute("data-allowed") || "").split(" ").filter(Boolean);
  }

  // Open the card's full move form with `target` chosen, its first missing field focused.
  function openForm(card, target) {
    var menu = card.querySelector("details.move-menu");
    var full = card.querySelector("details.move-full");
    var form = card.querySelector("form.move-form");
    var select = form && form.querySelector("select[name=to_status]");
    if (!menu || !full || !select || !select.querySelector("option[value=" + target + "]")) { return; }
    menu.open = true;
    full.open = true;
    select.value = target;
    syncRecognition(form);
    var first = form.querySelector(target === "recognized" ? "input[name=granted_on]" : "input[name=reason]");
    if (first && target === "recognized" && !first.value) { first.value = bureauToday(); }
    card.scrollIntoView({ block: "center" });
    if (first) { first.focus(); }
  }

  // Today in Asia/Shanghai, the bureau's day (tracker/clock.py), whatever the device's own time
  // zone: toISOString() gives the UTC date, a day behind in China between 00:00 and 08:00.
  function bureauToday() {
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(new Date()).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day;
  }

  // Move `card` to the column of `target`: submit at once, or open the form when more is needed.
  function moveTo(card, target) {
    if (allowedOf(card).indexOf(target) < 0) { return; }
    if (NEEDS_FORM[target]) { openForm(card, target); return; }
    var quick = card.querySelector("form.quick-move");
    var button = quick && quick.querySelector("button[name=to_status][value=" + target + "]");
    if (button) { button.click(); }
  }

  // "移动到…": the choices that need a form open it in place instead of leaving the board.
  document.querySelectorAll(".pipeline-card a.move-more").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      openForm(link.closest(".pipeline-card"), link.getAttribute("data-target"));
    });
  });

  // While dragging, only the columns the state machine allows light up and accept the drop.
  var dragged = null;
  var columns = document.querySelectorAll(".board-column");
  function clearColumns() {
    columns.forEach(function (c) { c.classList.remove("drop-allowed", "drop-refused", "drop-target"); });
  }
  document.querySelectorAll(".pipeline-card[draggable=true]").forEach(function (card) {
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      card.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-track-id"));
      var allowed = allowedOf(card);
      columns.forEach(function (column) {
        var status = column.getAttribute("data-status");
        if (status === card.getAttribute("data-status")) { return; }
        column.classList.add(allowed.indexOf(status) >= 0 ? "drop-allowed" : "drop-refused");
      });
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("dragging");
      dragged = null;
      clearColumns();
    });
  });
  columns.forEach(function (column) {
    column.addEventListener("dragover", function (event) {
      if (!dragged || !column.classList.contains("drop-allowed")) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      column.classList.add("drop-target");
    });
    column.addEventListener("dragleave", function (event) {
      if (!column.contains(event.relatedTarget)) { column.classList.remove("drop-target"); }
    });
    column.addEventListener("drop", function (event) {
      event.preventDefault();
      var card = dragged;
      var allowed = column.classList.contains("drop-allowed");
      clearColumns();
      if (card && allowed) { moveTo(card, column.getAttribute("data-status")); }
    });
  });

  // The card just moved: bring it into view (it is highlighted by the stylesheet).
  var moved = document.querySelector(".pipeline-card.just-moved");
  if (moved) { moved.scrollIntoView({ block: "center", inline: "center" }); }

  // Company list: tick every company on this page at once.
  var all = document.getElementById("select-page");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=company_ids]").forEach(function (box) { box.checked = all.checked; });
    });
  }
})();
