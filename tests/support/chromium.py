"""A Chromium session reused from one browser test to the next (tests/browser/conftest.py): a
launch costs ~0.9 CPU-s, the reset below ~0.2 s."""

import time

from selenium.common.exceptions import WebDriverException

from tests.support.page_checks import resize

# The distribution's headless build of the same Chromium (chromium-headless-shell, the same version
# and engine without the browser's own UI layer): the browser tests take ~25 % less of the CPU on
# it (bench/README.md). The sessions that run no script stay on Chromium: the shell has no
# profile, so the setting that turns scripts off does not reach it.
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"


def as_new(driver, origin: str) -> bool:
    """Whether `driver`, which a test is done with, is now as a Chromium just started would be for
    `origin`: one blank window at 1024×768, online, nothing kept of the site (cookies, storage,
    IndexedDB, service worker, cache)."""
    try:
        handles = driver.window_handles
        for handle in handles[1:]:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(handles[0])
        driver.get("about:blank")
        driver.execute_cdp_cmd(  # what tests/support/offline_counter.py may have cut
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        driver.execute_cdp_cmd(
            "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
        )
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        resize(driver, 1024, 768)
        deadline = time.monotonic() + 3  # an unregistered service worker stops soon after
        while _service_workers(driver):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True
    except (WebDriverException, AssertionError):  # the window never took its size again
        return False


def _service_workers(driver) -> list[str]:
    targets = driver.execute_cdp_cmd("Target.getTargets", {})["targetInfos"]
    return [t["url"] for t in targets if t["type"] == "service_worker"]
