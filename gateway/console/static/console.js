/* Live figures: an EventSource on the page's stream; on "changed", re-fetch the live block. */
(function () {
  "use strict";
  function liveBlocks() { return document.querySelectorAll("[data-live]"); }
  function refresh(block) {
    var url = block.getAttribute("data-refresh") || window.location.href;
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    return fetch(url + sep + "fragment=1", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(block.id);
        if (!fresh) { return; }
        block.innerHTML = fresh.innerHTML;
        block.classList.remove("updated"); void block.offsetWidth; block.classList.add("updated");
        block.setAttribute("data-version", String(Number(block.getAttribute("data-version") || "0") + 1));
        var note = document.getElementById("live-note");
        if (note) { note.textContent = "Chiffres mis à jour à " + new Date().toLocaleTimeString("fr-FR"); }
      });
  }
  /* A busy network sends "changed" all the time: one re-fetch at a time, and a page waits twenty
     times as long as its last re-fetch took (at least 300 ms) before the next, so an open page
     spends at most a twentieth of the time being computed (a national coordination page that takes
     0.7 s is refreshed every 14 s; a village's, in 50 ms, every second). The last change is never
     lost: a change during the wait or the re-fetch brings one more re-fetch after it. */
  var MIN_GAP = 300, COST_FACTOR = 20;
  function connect(block) {
    if (!window.EventSource) { return; }
    var source = new EventSource(block.getAttribute("data-live"));
    var timer = null, busy = false, changed = false, notBefore = 0;
    function run() {
      timer = null; busy = true; changed = false;
      var started = Date.now();
      var done = function () {
        busy = false;
        notBefore = Date.now() + Math.max(MIN_GAP, (Date.now() - started) * COST_FACTOR);
        if (changed) { plan(); }
      };
      refresh(block).then(done, done);
    }
    function plan() {
      changed = true;
      if (timer || busy) { return; }
      timer = setTimeout(run, Math.max(MIN_GAP, notBefore - Date.now()));
    }
    source.addEventListener("changed", plan);
    source.addEventListener("open", function () { block.setAttribute("data-connected", "1"); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(liveBlocks(), connect);
  });
})();
