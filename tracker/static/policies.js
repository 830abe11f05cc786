// The condition builder: show only the parameters the chosen condition uses. Without this file
// every parameter stays visible and the server ignores those the condition does not use.
(function () {
  function sync(row) {
    var select = row.querySelector("[data-condition-kind]");
    if (!select) { return; }
    var kind = select.value;
    row.querySelectorAll("[data-kinds]").forEach(function (cell) {
      var kinds = cell.getAttribute("data-kinds").split(" ");
      cell.hidden = kind !== "" && kinds.indexOf(kind) === -1;
    });
  }
  document.querySelectorAll(".condition-row").forEach(function (row) {
    sync(row);
    row.addEventListener("change", function (event) {
      if (event.target.matches("[data-condition-kind]")) { sync(row); }
    });
  });
})();
