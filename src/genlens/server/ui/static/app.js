// Charts from server-built Plotly specs, auto-submitting selects, auto-refresh. No data is fetched here.
(function () {
  "use strict";
  var specs = document.getElementById("charts");
  if (specs && window.Plotly) {
    var charts = JSON.parse(specs.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = charts[el.dataset.chart];
      if (!spec) return;
      window.Plotly.newPlot(el, spec.data, spec.layout, { displaylogo: false, responsive: true,
        modeBarButtonsToRemove: ["lasso2d", "select2d"] });
      el.dataset.drawn = "1";
    });
  }
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  // Empty fields stay out of the URL, so a shared link carries only what was chosen.
  document.querySelectorAll("form.filters").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (el) { if (!el.value) el.disabled = true; });
    });
  });
  var refresh = document.querySelector("meta[data-refresh]");
  if (refresh) {
    var seconds = parseInt(refresh.dataset.refresh, 10);
    if (seconds >= 10) setTimeout(function () { location.reload(); }, seconds * 1000);
  }
})();
