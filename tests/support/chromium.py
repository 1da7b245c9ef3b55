"""The browser tests' Chromium sessions (tests/browser/conftest.py): started, reset for the next
test (a launch costs ~0.9 CPU-s, a reset ~0.2 s), closed."""

import os
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from urllib3.exceptions import HTTPError

from tests.support.page_checks import resize

# The distribution's headless build of the same Chromium (chromium-headless-shell, the same version
# and engine without the browser's own UI layer): the browser tests take ~25 % less of the CPU on
# it (bench/README.md). The sessions that run no script stay on Chromium: the shell has no
# profile, so the setting that turns scripts off does not reach it. The binary itself: the package's
# /usr/bin/chromium-headless-shell is a `sh` that runs it as its child, and chromedriver, quitting,
# would end the `sh` and leave the browser running.
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"
CHROMIUM = "/usr/bin/chromium"  # the package's script, which execs the browser
CHROMEDRIVER = "/usr/bin/chromedriver"

# Selenium waits for chromedriver's answer without end by default: a command Chromium never answers
# fails after this many seconds, naming the command, instead of holding the worker until the
# test's timeout (pytest-timeout, 300 s)
COMMAND_SECONDS = 90
# a reset command that takes longer than this is given up and the session closed: a fresh session
# costs ~0.9 CPU-s, a reset that hangs would hold the worker
RESET_SECONDS = 15


def start_session(javascript: bool = True) -> webdriver.Chrome:
    """A new headless session at 1024×768, in French; `javascript=False`: one that runs no script
    (the pages that must work as plain HTML are opened so)."""
    options = webdriver.ChromeOptions()
    shell = javascript and os.path.exists(HEADLESS_SHELL)  # tests/services_up.sh installs it
    options.binary_location = HEADLESS_SHELL if shell else CHROMIUM
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1024,768",
        "--lang=fr-FR",
        "--force-device-scale-factor=1",
        # no back-forward cache, hence no fresh renderer for each page opened to keep the one left:
        # ~15 % less of Chromium's CPU per console page (bench/README.md); no test goes back
        "--disable-features=BackForwardCache,ProactivelySwapBrowsingInstance,RenderDocument",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.command_executor.client_config.timeout = COMMAND_SECONDS
    driver.set_window_size(1024, 768)
    return driver


def close(driver) -> None:
    """Quit `driver` without waiting long on a session that stopped answering: its chromedriver
    is stopped in any case (selenium's `quit` swallows a failed DELETE)."""
    driver.command_executor.client_config.timeout = RESET_SECONDS
    driver.quit()


def as_new(driver, origin: str) -> bool:
    """Whether `driver`, which a test is done with, is now as a Chromium just started would be for
    `origin`: one blank window at 1024×768, online, nothing kept of the site (cookies, storage,
    IndexedDB, service worker, cache). False when the reset failed or took over RESET_SECONDS a
    command: the session is then to be closed."""
    client = driver.command_executor.client_config
    client.timeout = RESET_SECONDS
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
    # the window never took its size again; chromedriver did not answer in time or dropped the
    # connection (urllib3's errors, which selenium lets through)
    except (WebDriverException, AssertionError, HTTPError, OSError):
        return False
    finally:
        client.timeout = COMMAND_SECONDS


def _service_workers(driver) -> list[str]:
    targets = driver.execute_cdp_cmd("Target.getTargets", {})["targetInfos"]
    return [t["url"] for t in targets if t["type"] == "service_worker"]
