"""A Chromium session a browser test is done with is reused by the worker's next one
(tests/browser/conftest.py): handed back, it keeps nothing of the person who used it. Sessions
that run scripts are the headless shell's where it is installed, those that run none Chromium's."""

import os
import signal
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.support import chromium
from tests.support.chromium import HEADLESS_SHELL, as_new, close, start_session
from tests.support.infrastructure import running
from tests.support.page_checks import resize
from tests.support.reliability import wait_until

OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def _registrations(driver) -> int:
    return driver.execute_async_script(
        "navigator.serviceWorker.getRegistrations().then(r => arguments[0](r.length))"
    )


def test_a_concierges_chromium_handed_back_keeps_nothing_of_her(browsers, stack):
    karim = browsers()
    karim.log_in("karim@maillage.test")  # a concierge: session cookie, IndexedDB, service worker
    driver = karim.driver
    wait_until(lambda: _registrations(driver) == 1, timeout=20, message="the service worker")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", OFFLINE)
    driver.switch_to.new_window("tab")
    resize(driver, 768, 1024)

    assert as_new(driver, stack.base_url)

    assert len(driver.window_handles) == 1
    assert driver.execute_script("return [window.innerWidth, navigator.onLine]") == [1024, True]
    driver.get(stack.base_url + "/console")
    assert "/console/connexion" in driver.current_url  # signed out: no cookie kept
    assert driver.find_elements(By.CSS_SELECTOR, "#email")
    assert _registrations(driver) == 0


def test_scripts_run_on_the_headless_shell_and_a_session_without_them_runs_none(browsers, stack):
    with_scripts, without = browsers(), browsers(javascript=False)
    shell = os.path.exists(HEADLESS_SHELL)
    assert with_scripts.driver.capabilities["browserName"] == (
        "chrome-headless-shell" if shell else "chrome"
    )
    assert without.driver.capabilities["browserName"] == "chrome"
    page = "data:text/html,<title>sans</title><script>document.title = 'avec'</script>"
    for browser, title in ((with_scripts, "avec"), (without, "sans")):
        browser.driver.get(page)
        assert browser.driver.title == title


@pytest.mark.timeout(30)  # without the reset's bound, it waits COMMAND_SECONDS (90 s) or ever
def test_a_session_that_stops_answering_is_given_up_instead_of_waited_for(
    browsers, stack, monkeypatch
):
    """A chromedriver that never answers (here stopped) fails the reset, which would otherwise
    wait without end, and the session goes: the worker's next test is not held up."""
    driver = browsers().driver
    driver.get(stack.base_url + "/console/connexion")
    monkeypatch.setattr(chromium, "RESET_SECONDS", 1)
    chromedriver = driver.service.process.pid
    os.kill(chromedriver, signal.SIGSTOP)
    try:
        assert not as_new(driver, stack.base_url)
    finally:
        os.kill(chromedriver, signal.SIGCONT)
    assert driver.command_executor.client_config.timeout == chromium.COMMAND_SECONDS
    assert as_new(driver, stack.base_url)  # answering again, it is reset as any other


def _descendants(pid: int) -> set[int]:
    """The processes `pid` started, and theirs (a child is listed under the thread that forked
    it)."""
    found, todo = set(), [pid]
    while todo:
        for children in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                started = set(map(int, children.read_text().split()))
            except FileNotFoundError:  # the thread or the process ended
                continue
            todo.extend(started - found)
            found |= started
    return found


@pytest.mark.parametrize("javascript", [True, False], ids=["scripts", "no-scripts"])
def test_a_closed_session_leaves_no_browser_running(javascript):
    """Each kind of session, closed, takes its browser with it: one left per session would be
    dozens running by the end of a pass (as the headless shell's launcher script does)."""
    driver = start_session(javascript)
    try:
        driver.get("data:text/html,<title>fermé</title>")
        processes = _descendants(driver.service.process.pid)
    finally:
        close(driver)
    assert processes  # the browser, its zygotes, renderer, GPU and network processes
    wait_until(
        lambda: not any(map(running, processes)),
        timeout=10,
        message="the closed session's browser processes ending",
    )
