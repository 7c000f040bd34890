// Filters of the board over data attributes; without JS every row and cell stays visible.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var selects = form.querySelectorAll("select[data-filter]");
  function value(name) {
    var s = form.querySelector('select[data-filter="' + name + '"]');
    return s ? s.value : "";
  }
  function apply() {
    var region = value("region"), level = value("level"), year = value("year"), status = value("status");
    var shown = 0;
    document.querySelectorAll("section.region").forEach(function (sec) {
      sec.hidden = !!region && sec.getAttribute("data-region") !== region;
    });
    document.querySelectorAll("figure.chart").forEach(function (fig) {
      var r = fig.getAttribute("data-region");
      fig.hidden = !!region && r !== "" && r !== region;
    });
    document.querySelectorAll("table.board").forEach(function (table) {
      table.querySelectorAll("[data-year]").forEach(function (cell) {
        cell.hidden = !!year && cell.getAttribute("data-year") !== year;
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var cells = row.querySelectorAll("td[data-status]");
        var match = !status;
        cells.forEach(function (td) {
          if (status && td.getAttribute("data-status") === status && (!year || td.getAttribute("data-year") === year)) { match = true; }
        });
        var ok = match && (!level || row.getAttribute("data-level") === level);
        row.hidden = !ok;
        if (ok && !row.closest("section.region").hidden) { shown += 1; }
      });
    });
    var out = document.getElementById("shown");
    if (out) { out.textContent = "显示 " + shown + " 个机关"; }
  }
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  apply();
})();
// Sortable tables (a region's year-on-year page): a heading's button sorts the body rows by its
// column, numbers by value (largest first on the first click), names in Chinese order; blanks
// stay last either way. Without JS the table keeps the board's order.
(function () {
  "use strict";
  function key(row, col) {
    var cell = row.children[col];
    var v = cell ? cell.getAttribute("data-v") : null;
    return v === null ? cell.textContent : v;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    var buttons = table.querySelectorAll("button[data-col]");
    buttons.forEach(function (btn) {
      btn.addEventListener("click", function () {
        var col = +btn.getAttribute("data-col");
        var numeric = btn.getAttribute("data-sort") === "num";
        var th = btn.closest("th");
        var current = th.getAttribute("aria-sort");
        var desc = current ? current === "ascending" : numeric;
        buttons.forEach(function (b) { b.closest("th").removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = numeric ? key(a, col) : a.children[col].textContent;
          var y = numeric ? key(b, col) : b.children[col].textContent;
          if (x === "" || y === "") { return (x === "") - (y === ""); }
          var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, "zh-CN");
          return desc ? -order : order;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
