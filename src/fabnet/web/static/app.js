// fabnet dashboard: size the charts to their panels; poll a running run's progress and reload
// its page when it ends.
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  var riskOnly = document.querySelector(".risk-only");
  if (kind && riskOnly) {
    var toggle = function () { riskOnly.hidden = kind.value !== "risk"; };
    kind.addEventListener("change", toggle);
    toggle();
  }
  window.addEventListener("load", function () {
    if (!window.Plotly) { return; }
    document.querySelectorAll(".js-plotly-plot").forEach(function (el) {
      window.Plotly.Plots.resize(el);
    });
  });
})();
(function () {
  "use strict";
  var panel = document.getElementById("progress-panel");
  if (!panel) { return; }
  var runId = panel.getAttribute("data-run-id");
  var fill = document.getElementById("progress-fill");
  var message = document.getElementById("progress-message");
  function poll() {
    fetch("/api/runs/" + encodeURIComponent(runId), { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (run) {
        var pct = Math.round((run.progress || 0) * 1000) / 10;
        fill.style.width = pct + "%";
        panel.querySelector(".progress").setAttribute("aria-valuenow", Math.round(pct));
        message.textContent = (run.progress_message || "working") + " · " + pct + " %";
        if (run.status !== "running") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 700);
})();
