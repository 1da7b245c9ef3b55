"""The search box above long lists of villages (gateway/console/static/filter.js), run in Node on a
small fake DOM: it appears above a list of more than twelve villages only, shows the villages whose
name holds what is typed (accents and case aside), keeps ticked ones in sight, and says how many
are shown."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.console import village_choice
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


def test_a_short_network_lists_every_village_with_the_search_box_of_the_browser():
    every = [{"id": f"v{i}", "name": f"Village {i}"} for i in range(village_choice.LIST_ALL_UP_TO)]
    choice = village_choice.choose(every, [], "")
    assert not choice.search and choice.shown == every and choice.note == ""


def test_the_coordination_page_of_a_long_network_searches_its_villages_on_the_server(
    coordination_gateway,
):
    """150 villages: no checkbox for each, but a search field; what is ticked stays listed."""
    page = get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}").text
    dom = parse_dom(page)
    assert not [node for node in dom.iter() if "data-filterable" in node.attrs]
    boxes = [n for n in dom.iter("input") if n.attrs.get("name") == "village"]
    assert boxes == []
    field = next(n for n in dom.iter("input") if n.attrs.get("id") == "vq")
    assert field.attrs["type"] == "search" and field.attrs["aria-describedby"] == "vq-note"
    assert [n.attrs["for"] for n in dom.iter("label") if n.attrs.get("for") == "vq"] == ["vq"]

    searched = get_as_coordinator(
        coordination_gateway, f"/console/coordination?{PERIOD}&village=v150&vq=village+01"
    ).text
    dom = parse_dom(searched)
    boxes = [n for n in dom.iter("input") if n.attrs.get("name") == "village"]
    assert [(b.attrs["value"], "checked" in b.attrs) for b in boxes] == [("v150", True)] + [
        (f"v{i:03d}", False) for i in range(10, 20)
    ]
    links = [a.attrs["href"] for a in dom.iter("a") if "/aujourdhui" in a.attrs.get("href", "")]
    assert links[0] == "/console/villages/v150/aujourdhui" and len(links) == 11

    wide = parse_dom(
        get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}&vq=VILLAGE").text
    )
    assert len([n for n in wide.iter("input") if n.attrs.get("name") == "village"]) == (
        village_choice.SEARCH_SHOWN
    )
    assert "150 villages contiennent « VILLAGE »" in wide.text()


def test_the_report_form_keeps_the_ticked_villages_and_the_recipient_through_a_search(
    coordination_gateway,
):
    dom = parse_dom(
        get_as_coordinator(
            coordination_gateway,
            f"/console/coordination/rapport?{PERIOD}&village=v003&vq=Village+014&pour=Commune+X",
        ).text
    )
    boxes = [n for n in dom.iter("input") if n.attrs.get("name") == "village"]
    assert [(b.attrs["value"], "checked" in b.attrs) for b in boxes][:2] == [
        ("v003", True),
        ("v014", False),
    ]
    assert (
        next(n for n in dom.iter("input") if n.attrs.get("id") == "pour").attrs["value"]
        == "Commune X"
    )
    search = next(n for n in dom.iter("button") if n.attrs.get("id") == "search-villages")
    assert search.attrs["formaction"] == "/console/coordination/rapport"


def test_a_bad_period_on_the_report_form_is_said_beside_its_field_and_keeps_the_choice(
    coordination_gateway,
):
    response = get_as_coordinator(
        coordination_gateway,
        "/console/coordination/rapport.pdf?du=01%2F01%2F2026&au=2026-06-30&village=v003"
        "&vq=" + "x" * 300 + "&pour=Commune+X",
    )
    assert response.status_code == 400 and response.headers["Content-Type"].startswith("text/html")
    dom = parse_dom(response.text)
    field = next(n for n in dom.iter("input") if n.attrs.get("id") == "du")
    assert field.attrs["aria-invalid"] == "true" and field.attrs["aria-describedby"] == "err-du"
    assert next(n for n in dom.iter("span") if n.attrs.get("id") == "err-du").text()
    ticked = [n.attrs["value"] for n in dom.iter("input") if "checked" in n.attrs]
    assert ticked == ["v003"]
    search = next(n for n in dom.iter("input") if n.attrs.get("id") == "vq")
    assert search.attrs["value"] == "x" * 80, "a search is cut at 80 characters"


def test_the_round_form_of_a_long_network_searches_its_villages_and_keeps_the_ticked_ones():
    from gateway.console.framework import templates

    every = [{"id": f"v{n:03d}", "name": f"Village {n:03d}"} for n in range(1, 41)]
    choice = village_choice.choose(every, ["v040"], "village 01")
    html = templates.get_template("logistics/rounds.html").render(
        rounds=[],
        names={v["id"]: v["name"] for v in every},
        choice=choice,
        vehicles=[],
        errors={},
        values={"village_ids": ["v040"], "supplier_pickups": True},
        shown=20,
        principal=None,
        csrf="x",
        nav={"path": "/console/coordination/tournees"},
    )
    dom = parse_dom(html)
    boxes = [n for n in dom.iter("input") if n.attrs.get("name") == "village_ids"]
    assert [(b.attrs["value"], "checked" in b.attrs) for b in boxes] == [("v040", True)] + [
        (f"v{n:03d}", False) for n in range(10, 20)
    ]
    search = next(n for n in dom.iter("button") if n.attrs.get("id") == "search-villages")
    assert (search.attrs["name"], search.attrs["value"]) == ("chercher", "1")
    assert [n.attrs["for"] for n in dom.iter("label") if n.attrs.get("for") == "vq"] == ["vq"]
