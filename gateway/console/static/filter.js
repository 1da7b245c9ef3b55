/* Long lists of villages (a national network has a thousand): a search box above every element
   marked data-filterable="<label>" that holds more than FILTER_FROM items (its labels or list
   items). Typing shows the items whose text holds what is typed, accents and case aside; a ticked
   box always stays in sight. Without JavaScript the whole list is there, as before. */
(function () {
  "use strict";
  var FILTER_FROM = 12;
  function plain(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }
  function items(list) {
    return Array.prototype.filter.call(list.children, function (el) {
      return el.tagName === "LABEL" || el.tagName === "LI";
    });
  }
  function apply(list, query) {
    var wanted = plain(query), shown = 0;
    items(list).forEach(function (item) {
      var box = item.querySelector("input[type=checkbox]");
      var show = !wanted || plain(item.textContent).indexOf(wanted) >= 0 || !!(box && box.checked);
      item.hidden = !show;
      if (show) { shown += 1; }
    });
    return shown;
  }
  function equip(list, n) {
    if (items(list).length <= FILTER_FROM) { return null; }
    var id = "filtre-" + n;
    var field = document.createElement("p");
    field.className = "field filter";
    var label = document.createElement("label");
    label.setAttribute("for", id);
    label.textContent = list.getAttribute("data-filterable") || "Chercher";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.setAttribute("autocomplete", "off");
    var count = document.createElement("span");
    count.className = "muted";
    count.setAttribute("aria-live", "polite");
    field.appendChild(label);
    field.appendChild(input);
    field.appendChild(count);
    list.parentNode.insertBefore(field, list);
    list.classList.add("long");
    input.addEventListener("input", function () {
      var shown = apply(list, input.value);
      count.textContent = input.value ? " " + shown + " sur " + items(list).length : "";
    });
    return input;
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-filterable]"), equip);
  });
})();
