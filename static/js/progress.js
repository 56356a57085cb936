// Moves the restore progress bar without reloading the page; reloads once the run ends.
(function () {
  var script = document.currentScript;
  var url = script && script.dataset.url;
  if (!url) return;
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.run) { setTimeout(tick, 2000); return; }
        var run = data.run;
        document.querySelectorAll('.run[data-run="' + run.id + '"]').forEach(function (el) {
          var bar = el.querySelector(".progress");
          bar.setAttribute("aria-valuenow", run.progress);
          bar.querySelector("span").style.width = run.progress + "%";
          el.querySelector(".run-percent").textContent = run.progress;
          el.querySelector(".run-rows").textContent = run.rows_done + " of " + run.rows_total;
          el.querySelector(".run-phase").textContent = run.phase_label;
          el.querySelector(".run-status").textContent = run.status_label || run.status;
        });
        var ended = run.status === "completed" || run.status === "failed" || run.status === "cancelled";
        // The request follows its run a moment later: reload once it has, to show the result.
        var followed = run.purpose === "undo" || (data.status !== "confirmed" && data.status !== "running");
        if (ended && followed) {
          setTimeout(function () { window.location.reload(); }, 500);
        } else {
          setTimeout(tick, 1000);
        }
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  tick();
})();
