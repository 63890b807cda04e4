// The statistics page's print button (no inline handlers: the CSP refuses them).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.print")) {
    button.addEventListener("click", () => window.print());
  }
});
