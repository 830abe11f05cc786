// Glossary (i) buttons: show what a term counts as a Bootstrap popover (the title= tooltip
// remains when Bootstrap's script is not there).
document.addEventListener("DOMContentLoaded", function () {
  if (!window.bootstrap || !window.bootstrap.Popover) {
    return;
  }
  document.querySelectorAll("[data-glossary]").forEach(function (element) {
    new window.bootstrap.Popover(element);
  });
});
