/* Choosing an inhabitant (gateway/console/picker.py): each [data-picker] becomes a combobox
   (ARIA 1.2: an input with a listbox popup) that asks the village's search as one types two
   letters or more. Arrows move in the list, Enter chooses, Escape closes it; the chosen id goes
   into the hidden field the form sends. Without JavaScript the "Chercher" button does the same
   through the server, so it goes once the field is a combobox. */
(function () {
  "use strict";
  var MIN_LETTERS = 2, PAUSE = 150, seq = 0;

  function equip(box) {
    var input = box.querySelector("input[name$='_q']");
    var search = box.querySelector("[data-picker-search]");
    var found = box.querySelector("[data-picker-found]");
    var hidden = box.querySelector("[data-picker-value]");
    if (!input) { return; }
    if (search) { search.parentNode.removeChild(search); }
    if (!hidden) {
      hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = box.getAttribute("data-name");
      hidden.setAttribute("data-picker-value", "");
      box.appendChild(hidden);
    }
    var list = document.createElement("ul");
    list.id = input.id + "-liste";
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Habitants trouvés");
    list.hidden = true;
    input.parentNode.insertBefore(list, input.nextSibling);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    box.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var options = [], active = -1, timer = null, chosenLabel = hidden.value ? input.value : null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mark(index) {
      options.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function choose(li) {
      hidden.value = li.getAttribute("data-id");
      input.value = li.getAttribute("data-label");
      chosenLabel = input.value;
      if (found && found.parentNode) { found.parentNode.removeChild(found); }  // its radios would win
      status.textContent = input.value + " choisi·e.";
      close();
    }
    function show(people) {
      list.innerHTML = "";
      options = people.map(function (person, i) {
        var li = document.createElement("li");
        li.id = input.id + "-choix-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-id", person.id);
        li.setAttribute("data-label", person.label);
        li.textContent = person.label + (person.detail ? " — " + person.detail : "");
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(li); });
        list.appendChild(li);
        return li;
      });
      status.textContent = people.length ? people.length + (people.length > 1 ? " personnes trouvées." : " personne trouvée.")
        : "Personne ne correspond.";
      if (people.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        mark(-1);
      } else {
        close();
      }
    }
    function ask() {
      var query = input.value.trim(), mine = ++seq;
      if (query.length < MIN_LETTERS) { options = []; close(); return; }
      var request = new XMLHttpRequest();
      request.open("GET", box.getAttribute("data-source") + "?q=" + encodeURIComponent(query));
      request.setRequestHeader("Accept", "application/json");
      request.onload = function () {
        if (mine !== seq || request.status !== 200) { return; }  // an older answer, or refused
        show(JSON.parse(request.responseText));
      };
      request.send();
    }
    input.addEventListener("input", function () {
      if (input.value !== chosenLabel) { hidden.value = ""; chosenLabel = null; }
      clearTimeout(timer);
      timer = setTimeout(function () { timer = null; ask(); }, PAUSE);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) { return; }
        event.preventDefault();
        if (!open) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        var step = event.key === "ArrowDown" ? 1 : -1;
        mark((active + step + options.length) % options.length);
      } else if (event.key === "Enter" && open) {
        event.preventDefault();  // choosing, not sending the form
        if (active >= 0) { choose(options[active]); }
      } else if (event.key === "Escape") {
        // closes it for good: a search still waiting or on its way does not open it again
        if (open || timer) { event.preventDefault(); }
        clearTimeout(timer);
        timer = null;
        seq++;
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), equip);
  });
})();
