// Sortable report tables (click a heading) and the print button. No libraries.
(function () {
  "use strict";

  function cellValue(row, index, type) {
    var cell = row.children[index];
    var raw = cell ? (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim()) : "";
    if (type === "num") {
      var n = parseFloat(raw);
      return isFinite(n) ? n : null;  // empty cells sort last either way
    }
    return raw;
  }

  function sortBy(table, header) {
    var headers = Array.prototype.slice.call(header.parentNode.children);
    var index = headers.indexOf(header);
    var type = header.querySelector("button.sort").dataset.type;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, type), y = cellValue(b, index, type);
      if (x === null && y === null) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      // Text compares its digits as numbers: agent #2 before #10.
      var order = type === "num" ? x - y : String(x).localeCompare(String(y), "zh-CN", {numeric: true});
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("table.sortable th button.sort");
    if (button) {
      sortBy(button.closest("table"), button.closest("th"));
      return;
    }
    if (event.target.closest("[data-print]")) window.print();
  });
})();
