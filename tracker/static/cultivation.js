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

  // Drag a card onto another column: fill its form and submit, or open it when more is needed.
  var dragged = null;
  document.querySelectorAll(".pipeline-card[draggable=true]").forEach(function (card) {
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      card.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-track-id"));
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("dragging");
      dragged = null;
      document.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
    });
  });
  document.querySelectorAll(".board-column").forEach(function (column) {
    column.addEventListener("dragover", function (event) {
      if (!dragged || dragged.getAttribute("data-status") === column.getAttribute("data-status")) { return; }
      event.preventDefault();
      column.classList.add("drop-target");
    });
    column.addEventListener("dragleave", function (event) {
      if (!column.contains(event.relatedTarget)) { column.classList.remove("drop-target"); }
    });
    column.addEventListener("drop", function (event) {
      event.preventDefault();
      column.classList.remove("drop-target");
      if (!dragged) { return; }
      var target = column.getAttribute("data-status");
      var form = dragged.querySelector("form.move-form");
      var select = form && form.querySelector("select[name=to_status]");
      if (!select || !select.querySelector("option[value=" + target + "]")) { return; }
      select.value = target;
      syncRecognition(form);
      var needsMore = target === "recognized" || target === "rejected" || target === "withdrawn";
      if (needsMore) {
        var details = form.closest("details");
        if (details) { details.open = true; }
        var first = form.querySelector(target === "recognized" ? "input[name=granted_on]" : "input[name=reason]");
        if (first) { first.focus(); }
        form.scrollIntoView({ block: "center" });
      } else {
        form.submit();
      }
    });
  });

  // Company list: tick every company on this page at once.
  var all = document.getElementById("select-page");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=company_ids]").forEach(function (box) { box.checked = all.checked; });
    });
  }
})();
