"""The offline counter driven in Chromium (tests/browser/test_offline_counter.py,
bench/offline_counter.py): the link cut and restored through the DevTools protocol for the page
and its service worker, the device's queue read and written in IndexedDB, what the worker keeps."""

from __future__ import annotations

import json
import re

OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {**OFFLINE, "offline": False}

QUEUE_READ = """const done = arguments[arguments.length - 1];
indexedDB.open("maillage-offline", 1).onsuccess = e => {
  const all = e.target.result.transaction("queue").objectStore("queue").getAll();
  all.onsuccess = () => done(all.result);
};"""
QUEUE_PUT = """const items = arguments[0], done = arguments[arguments.length - 1];
indexedDB.open("maillage-offline", 1).onsuccess = e => {
  const t = e.target.result.transaction("queue", "readwrite");
  items.forEach(item => t.objectStore("queue").put(item));
  t.oncomplete = () => done();
};"""
KEPT_SIZES = """const done = arguments[arguments.length - 1];
(async () => {
  const sizes = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request)).blob();
      sizes[name + " " + new URL(request.url).pathname] = body.size;
    }
  }
  const estimate = navigator.storage ? await navigator.storage.estimate() : {};
  return {sizes, usage: estimate.usage || null};
})().then(done, e => done({error: String(e)}));"""


def network(driver, conditions, sessions={}):  # noqa: B006  the worker's sessions, kept
    """Cut (or restore) the link through the DevTools protocol, for the page and for its service
    worker: a worker is a target of its own, which the page's emulation does not reach; it is
    reached through a session attached to it (`Target.sendMessageToTarget`)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)
    for target in driver.execute_cdp_cmd("Target.getTargets", {})["targetInfos"]:
        if target["type"] != "service_worker":
            continue
        if target["targetId"] not in sessions:
            sessions[target["targetId"]] = driver.execute_cdp_cmd(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": False}
            )["sessionId"]
        for n, (method, params) in enumerate(
            (("Network.enable", {}), ("Network.emulateNetworkConditions", conditions))
        ):
            driver.execute_cdp_cmd(
                "Target.sendMessageToTarget",
                {
                    "sessionId": sessions[target["targetId"]],
                    "message": json.dumps({"id": n + 1, "method": method, "params": params}),
                },
            )


def cached_salt(driver, path: str) -> str | None:
    """The salt of the page as the service worker keeps it (None until it does)."""
    html = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        caches.open("maillage-pages").then(c => c.match(arguments[0]))
          .then(r => r ? r.text() : null).then(done, () => done(null));""",
        path,
    )
    found = re.search(r'data-salt="([0-9a-f]+)"', html or "")
    return found.group(1) if found else None
