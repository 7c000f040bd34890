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
