// 精准挖掘: "select all on this page" for the candidate checkboxes (the page works without it).
document.addEventListener("change", function (event) {
  var box = event.target.closest("[data-select-all]");
  if (!box) {
    return;
  }
  var name = box.getAttribute("data-select-all");
  document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (item) {
    item.checked = box.checked;
  });
});
