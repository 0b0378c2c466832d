// Polls a running job's status and reloads the page when it has finished.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "1") return;
  var url = box.dataset.statusUrl;
  function poll() {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        document.getElementById("job-status").textContent = s.status;
        document.getElementById("job-count").textContent = s.done + " of " + s.total;
        var bar = document.getElementById("job-progress");
        bar.value = s.percent; bar.textContent = s.percent + "%";
        if (s.finished) { window.location.reload(); } else { setTimeout(poll, 700); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();
