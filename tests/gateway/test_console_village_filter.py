"""The search box above long lists of villages (gateway/console/static/filter.js), run in Node on a
small fake DOM: it appears above a list of more than twelve villages only, shows the villages whose
name holds what is typed (accents and case aside), keeps ticked ones in sight, and says how many
are shown."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.coordination import PERIOD, get_as_coordinator, parse_dom

SCRIPT = Path(__file__).resolve().parents[2] / "gateway" / "console" / "static" / "filter.js"

HARNESS = r"""
const vm = require('vm'); const fs = require('fs');
const [file, namesJson, tickedJson, typedJson] = process.argv.slice(1);
const names = JSON.parse(namesJson), ticked = JSON.parse(tickedJson), typed = JSON.parse(typedJson);
function element(tag) {
  const el = { tagName: tag.toUpperCase(), children: [], attrs: {}, listeners: {}, hidden: false,
    textContent: '', classes: [], parentNode: null,
    appendChild(child) { child.parentNode = this; this.children.push(child); return child; },
    insertBefore(child, before) {
      child.parentNode = this; this.children.splice(this.children.indexOf(before), 0, child);
    },
    setAttribute(n, v) { this.attrs[n] = String(v); },
    getAttribute(n) { return n in this.attrs ? this.attrs[n] : null; },
    addEventListener(type, fn) { this.listeners[type] = fn; },
    querySelector(css) {
      return this.children.find(c => c.tagName === 'INPUT' && c.type === 'checkbox') || null;
    } };
  el.classList = { add: c => el.classes.push(c) };
  return el;
}
const form = element('form');
const list = form.appendChild(element('fieldset'));
list.setAttribute('data-filterable', 'Chercher un village');
list.appendChild(element('legend')).textContent = 'Villages';
names.forEach((name, i) => {
  const label = list.appendChild(element('label'));
  const box = label.appendChild(element('input'));
  box.type = 'checkbox'; box.checked = ticked.includes(i);
  label.textContent = ' ' + name;
});
let ready = null;
const context = { window: {}, String, Array,
  document: { createElement: element, querySelectorAll: () => [list],
              addEventListener: (type, fn) => { if (type === 'DOMContentLoaded') ready = fn; } } };
vm.createContext(context); vm.runInContext(fs.readFileSync(file, 'utf8'), context); ready();
const field = form.children[0] === list ? null : form.children[0];
const steps = [];
for (const text of typed) {
  const input = field.children[1]; input.value = text; input.listeners.input();
  const shown = list.children.filter(c => c.tagName === 'LABEL' && !c.hidden)
    .map(c => c.textContent.trim());
  steps.push({ typed: text, shown, said: field.children[2].textContent });
}
console.log(JSON.stringify({
  field: field && { label: field.children[0].textContent, type: field.children[1].type,
                    labelFor: field.children[0].attrs['for'], id: field.children[1].id },
  long: list.classes.includes('long'), steps }));
"""

VILLAGES = [f"Village {n:02d}" for n in range(1, 14)] + [
    "Saint-Aubin-des-Prés",
    "Montcalvel",
    "Le Bourg-aux-Chênes",
]


def _run(names, ticked=(), typed=()) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    out = subprocess.run(
        [
            node,
            "-e",
            HARNESS,
            str(SCRIPT),
            json.dumps(names),
            json.dumps(list(ticked)),
            json.dumps(list(typed)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def test_a_long_list_of_villages_gets_a_search_box_that_finds_a_village_whatever_its_accents():
    result = _run(VILLAGES, ticked=[2], typed=["chene", "PRES", "", "zzz"])
    assert result["field"] == {
        "label": "Chercher un village",
        "type": "search",
        "labelFor": "filtre-0",
        "id": "filtre-0",
    }
    assert result["long"], "the list scrolls rather than filling the page"
    chene, pres, nothing, unknown = result["steps"]
    assert chene["shown"] == ["Village 03", "Le Bourg-aux-Chênes"], (
        "a ticked village stays in sight"
    )
    assert chene["said"] == " 2 sur 16"
    assert pres["shown"] == ["Village 03", "Saint-Aubin-des-Prés"]
    assert nothing["shown"] == VILLAGES and nothing["said"] == ""
    assert unknown["shown"] == ["Village 03"]


def test_a_short_list_has_no_search_box():
    result = _run(VILLAGES[:12])
    assert result["field"] is None and not result["long"]


def test_the_coordination_page_marks_its_village_lists_for_the_search_box(coordination_gateway):
    dom = parse_dom(
        get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}").text
    )
    marked = [node for node in dom.iter("fieldset") if "data-filterable" in node.attrs]
    marked += [node for node in dom.iter("ul") if "data-filterable" in node.attrs]
    assert [node.attrs["data-filterable"] for node in marked] == ["Chercher un village"] * 2
    scripts = [node.attrs.get("src") for node in dom.iter("script")]
    assert "/console/static/filter.js" in scripts
