/* Live figures: an EventSource on the page's stream; on "changed", re-fetch the live block. */
(function () {
  "use strict";
  function liveBlocks() { return document.querySelectorAll("[data-live]"); }
  function refresh(block) {
    var url = block.getAttribute("data-refresh") || window.location.href;
    var sep = url.indexOf("?") >= 0 ? "&" : "?";
    fetch(url + sep + "fragment=1", { credentials: "same-origin", headers: { "Accept": "text/html" } })
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
  function connect(block) {
    if (!window.EventSource) { return; }
    var source = new EventSource(block.getAttribute("data-live"));
    var pending = null;
    source.addEventListener("changed", function () {
      if (pending) { return; }
      pending = setTimeout(function () { pending = null; refresh(block); }, 300);
    });
    source.addEventListener("open", function () { block.setAttribute("data-connected", "1"); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(liveBlocks(), connect);
  });
})();
