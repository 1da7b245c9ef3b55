"""The console's live refresh (gateway/console/static/console.js) under a stream of changes, run in
Node with a fake clock, fake EventSource and fake fetch: one re-fetch at a time, spaced by twenty
times what the last one took, and the last change never lost."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "gateway" / "console" / "static" / "console.js"

HARNESS = r"""
const vm = require('vm'); const fs = require('fs');
const [file, cost, every, until] = process.argv.slice(1).map((v, i) => i ? Number(v) : v);
let now = 0; const timers = [];
const later = (fn, ms) => { timers.push({ due: now + ms, fn }); return timers.length; };
let inFlight = 0, maxInFlight = 0, domReady = null; const fetches = []; const listeners = {};
class FakeEventSource {
  constructor(url) { this.url = url; }
  addEventListener(type, fn) { listeners[type] = fn; }
}
const block = { id: 'live-figures', innerHTML: '', offsetWidth: 0,
  classList: { add() {}, remove() {} },
  attrs: { 'data-live': '/console/coordination/flux',
           'data-refresh': '/console/coordination?du=x' },
  getAttribute(n) { return n in this.attrs ? this.attrs[n] : null; },
  setAttribute(n, v) { this.attrs[n] = String(v); } };
const context = {
  window: { EventSource: FakeEventSource, location: { href: '/console/coordination' } },
  EventSource: FakeEventSource,
  document: { querySelectorAll: () => [block], getElementById: () => null,
              addEventListener: (type, fn) => { if (type === 'DOMContentLoaded') domReady = fn; } },
  DOMParser: class {
    parseFromString() { return { getElementById: () => ({ innerHTML: 'fresh' }) }; }
  },
  fetch: () => { inFlight++; maxInFlight = Math.max(maxInFlight, inFlight); fetches.push(now);
                 return new Promise(done => later(() => {
                   inFlight--;
                   done({ ok: true, text: () => Promise.resolve('<div>') });
                 }, cost)); },
  setTimeout: later, Date: { now: () => now }, Math, Number, String,
};
vm.createContext(context); vm.runInContext(fs.readFileSync(file, 'utf8'), context); domReady();
async function advance(to) {
  for (;;) {
    timers.sort((a, b) => a.due - b.due);
    if (!timers.length || timers[0].due > to) break;
    const timer = timers.shift(); now = timer.due; timer.fn();
    for (let i = 0; i < 20; i++) await null;   // the promises' callbacks
  }
  now = to;
}
(async () => {
  for (let t = 0; t < until; t += every) { await advance(t); listeners.changed(); }
  const lastChange = now;
  await advance(until + 120000);
  const version = block.attrs['data-version'];
  console.log(JSON.stringify({ fetches, maxInFlight, lastChange, version }));
})();
"""


def _run(cost_ms: int, every_ms: int, until_ms: int) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    out = subprocess.run(
        [node, "-e", HARNESS, str(SCRIPT), str(cost_ms), str(every_ms), str(until_ms)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("cost_ms, least_gap_ms", [(700, 14_000), (50, 1_000), (5, 300)])
def test_a_page_under_a_stream_of_changes_is_refreshed_one_at_a_time_and_spaced_by_its_cost(
    cost_ms, least_gap_ms
):
    result = _run(cost_ms, every_ms=50, until_ms=60_000)  # a change every 50 ms for a minute
    fetches = result["fetches"]
    assert result["maxInFlight"] == 1, "never two re-fetches at once"
    gaps = [b - a for a, b in zip(fetches, fetches[1:])]
    assert gaps and min(gaps) >= least_gap_ms + cost_ms, gaps
    assert len(fetches) <= 60_000 // least_gap_ms + 2
    assert fetches[-1] >= result["lastChange"], "the last change brings a re-fetch after it"
    assert result["version"] == str(len(fetches)), "each re-fetch replaced the block"


def test_a_single_change_is_shown_soon():
    result = _run(cost_ms=50, every_ms=100_000, until_ms=1)  # one change, then silence
    assert result["fetches"] == [300]
