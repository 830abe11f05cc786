// Visit form: add and remove follow-up rows. Without this file the form offers a few empty rows,
// which the server ignores when left blank, so it works without JavaScript too.
(function () {
  "use strict";
  var container = document.querySelector("[data-follow-ups]");
  if (!container) { return; }
  var addButton = document.querySelector("[data-add-follow-up]");
  var rows = Array.prototype.slice.call(container.querySelectorAll("[data-follow-up-row]"));
  if (!rows.length || !addButton) { return; }

  function isBlank(row) {
    if (row.querySelector(".is-invalid")) { return false; }
    var fields = row.querySelectorAll("textarea, input:not([type=hidden]), select[name$='-category']");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value && fields[i].value.trim() !== "") { return false; }
    }
    return true;
  }

  function clear(row) {
    row.querySelectorAll("textarea, input:not([type=hidden])").forEach(function (el) { el.value = ""; });
    row.querySelectorAll("select[name$='-category']").forEach(function (el) { el.value = ""; });
    row.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
  }

  function renumber(row, index) {
    var pattern = /follow_ups-\d+-/g;
    row.querySelectorAll("[name], [id], [for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(pattern, "follow_ups-" + index + "-")); }
      });
    });
    row.setAttribute("data-index", String(index));
  }

  function refreshNumbers() {
    container.querySelectorAll("[data-follow-up-row]").forEach(function (row, i) {
      var label = row.querySelector("[data-row-number]");
      if (label) { label.textContent = String(i + 1); }
    });
  }

  document.querySelectorAll(".js-show").forEach(function (el) { el.classList.remove("d-none"); });
  document.querySelectorAll(".js-hide").forEach(function (el) { el.classList.add("d-none"); });

  // A clean copy of a row to add new ones from, before blank rows are taken away.
  var template = rows[0].cloneNode(true);
  clear(template);
  var nextIndex = 0;
  rows.forEach(function (row) {
    nextIndex = Math.max(nextIndex, parseInt(row.getAttribute("data-index"), 10) + 1);
    if (isBlank(row)) { row.remove(); }
  });

  addButton.addEventListener("click", function () {
    var row = template.cloneNode(true);
    renumber(row, nextIndex);
    nextIndex += 1;
    container.appendChild(row);
    refreshNumbers();
    var first = row.querySelector("select, textarea");
    if (first) { first.focus(); }
  });

  container.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-follow-up]");
    if (!button) { return; }
    var row = button.closest("[data-follow-up-row]");
    if (row) { row.remove(); refreshNumbers(); }
  });
  refreshNumbers();
})();
