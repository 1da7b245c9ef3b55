"""Browser tests: headless Chromium (the distribution's, driven by Selenium through
/usr/bin/chromedriver) at 1024×768 against a whole network of their own, started as `make run`
starts it (tests/support/network.py). Screenshots of the main pages go to var/screenshots/ for
review."""

from pathlib import Path

import pytest
from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.chromium import as_new, close, start_session
from tests.support.network import run_network
from tests.support.page_checks import resize


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The browser tests' own network: they write (orders, help requests, animations), which the
    end-to-end tests' counts must not see."""
    yield from run_network(tmp_path_factory, "browser-stack")


SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WAIT = 20  # seconds an explicit wait may last before the test fails


class Browser:
    """One person's browser on the network's consoles."""

    def __init__(self, driver, base_url):
        self.driver, self.base_url = driver, base_url

    def open(self, path):
        self.driver.get(self.base_url + path)

    def wait(self, condition, timeout=WAIT):
        """Until `condition` holds; a live page may replace elements while it is read (a page
        replaced by the next one as an element is read is, to Chromium, a node that does not
        belong to the document: the same thing)."""

        def holds(driver):
            try:
                return condition(driver)
            except WebDriverException as error:
                if "does not belong to the document" in str(error):
                    return False
                raise

        return WebDriverWait(
            self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
        ).until(holds)

    def find(self, css):
        try:
            return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            self._never_appeared(f"{css} never appeared")

    def click(self, css):
        try:
            found = self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        except TimeoutException:
            self._never_appeared(f"{css} was never clickable")
        found.click()

    def text_of(self, css):
        return self.find(css).text

    def wait_text(self, css, text):
        try:
            self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        except TimeoutException:
            self._never_appeared(f"{text!r} never appeared in {css}")

    def _never_appeared(self, what):
        """What the person sees instead (an error beside a field, another page) says why."""
        shown = self.driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(
            f"{what} on {self.driver.current_url}; the page says:\n{shown[:1500]}"
        ) from None

    def log_in(self, email, password="maillage-demo"):
        self.open("/console/connexion")
        self.find("#email").send_keys(email)
        self.find("#password").send_keys(password)
        self.click("form button[type=submit]")
        self.wait(lambda d: "/console/connexion" not in d.current_url)

    def assert_fits_a_tablet(self):
        """At 768 px wide (a tablet held upright) the page needs no sideways scrolling: wide
        tables scroll in their own box. The window is back at 1024×768 after."""
        resize(self.driver, 768, 1024)
        try:
            wide, viewport = self.driver.execute_script(
                "const page = document.documentElement; return [page.scrollWidth, page.clientWidth]"
            )
            assert wide <= viewport, f"{self.driver.current_url}: {wide} px wide for {viewport}"
        finally:
            resize(self.driver, 1024, 768)

    def screenshot(self, name, full_page=False):
        """The 1024×768 view; `full_page` also saves the whole page's length (`<name>-page.png`)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        if full_page:
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            resize(self.driver, 1024, min(height + 140, 6000))
            self.driver.save_screenshot(str(SCREENSHOTS / f"{name}-page.png"))
            resize(self.driver, 1024, 768)


@pytest.fixture(scope="session")
def idle_chromiums(stack):
    """Chromium sessions earlier tests of this worker are done with, by kind (runs scripts or
    not): a launch costs ~0.9 CPU-s, a reset to new ~0.2 s. Closed with the network."""
    idle = {True: [], False: []}
    yield idle
    for drivers in idle.values():
        for driver in drivers:
            close(driver)


@pytest.fixture
def browsers(stack, idle_chromiums, request):
    """`browsers()` opens a browser (each its own session; `browsers(javascript=False)` one that
    runs no script), as new: started for it, or handed back reset by an earlier test (`as_new`,
    tests/support/chromium.py). After a test that passed they are reset for the next; after a
    failure, closed (what went wrong may have left what a reset does not undo)."""
    opened = []
    failed_before = request.session.testsfailed

    def make(javascript: bool = True) -> Browser:
        idle = idle_chromiums[javascript]
        driver = idle.pop() if idle else start_session(javascript)
        opened.append((javascript, driver))
        return Browser(driver, stack.base_url)

    yield make
    passed = request.session.testsfailed == failed_before
    for javascript, driver in opened:
        if passed and as_new(driver, stack.base_url):
            idle_chromiums[javascript].append(driver)
        else:
            close(driver)
