"""The practice page in a real browser: headless Chromium from the OS packages, driven by
Selenium, against a live uvicorn server on the demo region.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian: `apt-get install chromium
chromium-driver`); without them these tests skip, unless WIJKKAART_REQUIRE_BROWSER=1 (as in
CI): then they fail. Selenium is handed the driver's path, so Selenium Manager downloads
nothing. axe-core is the copy the axe-playwright-python package ships (its Playwright is not used). Screenshots and the
printed handout go to test-artifacts/ (not committed).
"""

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from alembic import command
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait
from sqlmodel import Session

from app.db import alembic_config, make_engine
from app.demo import load_demo
from tests.support.factories import make_key
from tests.web.test_web import DEBT, shows_a_direct_line

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
REQUIRE_BROWSER = os.environ.get("WIJKKAART_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE_JS = Path(str(files("axe_playwright_python") / "axe.min.js"))
A4_POINTS = (595, 842)  # 210 × 297 mm
PATIENT = {"age": "67", "income": "137"}  # values to look for in every URL afterwards


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    practice_key: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn on a free port, serving a demo database built by the migrations and load_demo."""
    directory = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{directory / 'demo.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        load_demo(session)
        key = make_key(session, "Huisartsenpraktijk Browsertest", "practice")
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "WIJKKAART_DATABASE_URL": url, "WIJKKAART_SEARCH_RATE_LIMIT": "off", "WIJKKAART_LOG_LEVEL": "WARNING"}
    log = (directory / "uvicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health/live", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"uvicorn did not start: {(directory / 'uvicorn.log').read_text()}")
                time.sleep(0.2)
        yield LiveServer(base, key)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        reason = f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason} (WIJKKAART_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1600",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)
    # Every request the page makes, read back from the performance log.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: WebDriver) -> list[str]:
    """The URLs the browser sent requests to since the log was last read; a request the page's
    Content-Security-Policy blocked never left the browser, and is not one."""
    sent, blocked = {}, set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            sent[message["params"]["requestId"]] = message["params"]["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and message["params"].get("blockedReason") == "csp":
            blocked.add(message["params"]["requestId"])
    return [url for request, url in sent.items() if request not in blocked]


def screenshot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def axe_violations(driver: WebDriver) -> list[dict[str, object]]:
    """axe-core's serious and critical violations (WCAG 2.1 A and AA rules) on the current page."""
    driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["html"] for n in v.get("nodes", [])][:3]}
        for v in result if v["impact"] in ("serious", "critical")
    ]


def wait_for_text(driver: WebDriver, text: str, tag: str = "body") -> None:
    """Wait for a navigation to bring `text` into the page (a submitted form returns before it lands;
    an element found while the old page is replaced goes stale before it is read: look again)."""

    def shows(d: WebDriver) -> bool:
        try:
            return text in d.find_element(By.TAG_NAME, tag).text
        except StaleElementReferenceException:
            return False
        except WebDriverException as exc:
            # Chrome's other word for a stale element: its node left the document being replaced.
            if "does not belong to the document" in (exc.msg or ""):
                return False
            raise

    WebDriverWait(driver, 15).until(shows)


def tab_to(driver: WebDriver, script: str, limit: int = 250) -> None:
    """Press Tab until `script` (about document.activeElement, bound as `el`) is true."""
    for _ in range(limit):
        if driver.execute_script(f"const el = document.activeElement; return !!({script});"):
            return
        driver.switch_to.active_element.send_keys(Keys.TAB)
    pytest.fail(f"Tab never reached an element where {script}")


def sign_out_if_needed(driver: WebDriver) -> None:
    buttons = driver.find_elements(By.XPATH, "//button[normalize-space()='Uitloggen']")
    if buttons:
        buttons[0].click()
        wait_for_text(driver, "Inloggen met praktijksleutel", "header")


def test_keyboard_only_search_reaches_the_debt_counselling_phone(live_server: LiveServer, browser: WebDriver) -> None:
    browser.get(live_server.url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Welke hulp is er voor deze patiënt?"
    assert axe_violations(browser) == []
    screenshot(browser, "zoekpagina")
    tab_to(browser, "el.id === 'postcode'")
    browser.switch_to.active_element.send_keys("4331AB")
    tab_to(browser, "el.id === 'q'")
    browser.switch_to.active_element.send_keys("schulden" + Keys.ENTER)
    wait_for_text(browser, "resultaten bij 4331AB")
    assert "q=schulden" in browser.current_url
    card = browser.find_element(By.ID, f"dienst-{DEBT['service']['id']}")
    assert DEBT["service"]["name"] in card.text and DEBT["public_phone"] in card.text
    # Keyboard on to the first result's phone link.
    tab_to(browser, "el.matches('a.phone')")
    focused = browser.switch_to.active_element
    first = browser.find_elements(By.CSS_SELECTOR, ".result-card")[0]
    assert focused.get_attribute("href").startswith("tel:")
    assert browser.execute_script("return arguments[0].contains(document.activeElement)", first)
    assert axe_violations(browser) == []
    screenshot(browser, "resultaten")


def test_messages_on_fields_pass_axe(live_server: LiveServer, browser: WebDriver) -> None:
    browser.get(live_server.url + "/?postcode=12&q=schulden")
    assert "Vul een Nederlandse postcode in" in browser.find_element(By.ID, "postcode-error").text
    assert axe_violations(browser) == []
    browser.get(live_server.url + "/?postcode=4331AB&domain=geen_domein&target_group=niemand")
    assert axe_violations(browser) == []


def test_only_what_is_open_now_is_a_filter_of_the_form(live_server: LiveServer, browser: WebDriver) -> None:
    """Ticked in the form, the filter reaches the link and every card shown is open now (or,
    when nothing is, the page says so). Which services are open when: tests/web/test_web.py."""
    browser.get(live_server.url + "/?postcode=4331AB")
    browser.find_element(By.CSS_SELECTOR, "details.more-filters summary").click()
    browser.find_element(By.CSS_SELECTOR, "label[for='open_now']").click()
    browser.find_element(By.XPATH, "//button[normalize-space()='Zoeken']").click()
    WebDriverWait(browser, 10).until(lambda driver: "open_now=1" in driver.current_url)
    states = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".result-card .state")]
    cards = browser.find_elements(By.CSS_SELECTOR, ".result-card")
    assert (cards and states == ["(nu open)"] * len(cards)) or (
        not cards and "geen van deze diensten open" in browser.find_element(By.CSS_SELECTOR, ".results").text)
    assert browser.find_element(By.ID, "open_now").is_selected()
    assert axe_violations(browser) == []


def test_signed_in_shows_the_direct_line_signed_out_does_not(live_server: LiveServer, browser: WebDriver) -> None:
    search = live_server.url + "/?postcode=4331AB&q=schulden"
    browser.get(search)
    sign_out_if_needed(browser)
    assert not shows_a_direct_line(browser.page_source)
    browser.find_element(By.LINK_TEXT, "Inloggen met praktijksleutel").click()
    field = browser.find_element(By.ID, "key")
    field.send_keys(live_server.practice_key + Keys.ENTER)
    wait_for_text(browser, "Ingelogd als Huisartsenpraktijk Browsertest", "header")
    session = browser.get_cookie("wijkkaart_sessie")
    assert session and session["httpOnly"] and session["sameSite"] == "Strict"
    assert live_server.practice_key not in json.dumps(browser.get_cookies())
    browser.get(search)
    assert shows_a_direct_line(browser.page_source)
    screenshot(browser, "resultaten-ingelogd")
    browser.find_element(By.XPATH, "//button[normalize-space()='Uitloggen']").click()
    wait_for_text(browser, "Inloggen met praktijksleutel", "header")
    browser.get(search)
    assert not shows_a_direct_line(browser.page_source)


def test_the_eligibility_values_reach_no_url(live_server: LiveServer, browser: WebDriver) -> None:
    requested_urls(browser)  # start the log afresh
    browser.get(live_server.url + "/?postcode=4331AB&q=schulden")
    browser.find_element(By.ID, "age").send_keys(PATIENT["age"])
    browser.find_element(By.ID, "income").send_keys(PATIENT["income"])
    browser.find_element(By.CSS_SELECTOR, "label[for='beschikking-nee']").click()
    browser.find_element(By.XPATH, "//button[normalize-space()='Controleer voorwaarden']").click()
    wait_for_text(browser, "Komt in aanmerking")
    card = browser.find_element(By.ID, f"dienst-{DEBT['service']['id']}")
    assert "Vanaf 18 jaar: voldoet" in card.text
    assert axe_violations(browser) == []
    screenshot(browser, "voorwaarden")
    visited = [*requested_urls(browser), browser.current_url]
    visited += browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    for url in visited:
        query = dict(parse_qsl(urlsplit(url).query))
        assert not {"age", "income", "household", "beschikking"} & set(query), url
        assert not {PATIENT["age"], PATIENT["income"]} & set(query.values()), url
    assert not any(PATIENT["income"] in cookie["value"] for cookie in browser.get_cookies())


def test_no_request_leaves_the_app(live_server: LiveServer, browser: WebDriver) -> None:
    requested_urls(browser)
    for path in ("/", "/?postcode=4331AB&q=schulden", f"/diensten/{DEBT['service']['id']}/folder", "/inloggen",
                 "/docs", "/redoc"):
        browser.get(live_server.url + path)
        if path in ("/docs", "/redoc"):  # the docs fetch their spec and render it by script
            wait_for_text(browser, "search")
            time.sleep(1)
        resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        for url in requested_urls(browser) + resources:
            parts = urlsplit(url.removeprefix("blob:"))  # ReDoc starts a worker from a blob of its own
            # data:, about: and the browser's own chrome: pages reach no network.
            assert parts.scheme in ("data", "about", "chrome") or parts.netloc == live_server.host, url
    screenshot(browser, "redoc")


def printed_pages(driver: WebDriver, name: str) -> list[tuple[int, ...]]:
    """The current page printed to PDF (kept in test-artifacts/): each page's size in points."""
    printed = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": False})
    pdf = base64.b64decode(printed["data"])
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    boxes = [tuple(round(float(n)) for n in box.split()[2:]) for box in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", pdf)]
    assert len(boxes) == len(pages)
    return boxes


def test_the_handout_prints_on_one_a4_page(live_server: LiveServer, browser: WebDriver) -> None:
    browser.get(f"{live_server.url}/diensten/{DEBT['service']['id']}/folder?postcode=4331AB")
    assert axe_violations(browser) == []
    screenshot(browser, "folder")
    assert printed_pages(browser, "folder") == [A4_POINTS]


def test_referring_from_a_card_shows_the_code_and_the_list_passes_axe(live_server: LiveServer, browser: WebDriver) -> None:
    browser.get(live_server.url + "/inloggen")
    sign_out_if_needed(browser)
    browser.get(live_server.url + "/inloggen")
    browser.find_element(By.ID, "key").send_keys(live_server.practice_key + Keys.ENTER)
    wait_for_text(browser, "Mijn verwijzingen", "header")
    browser.get(live_server.url + "/?postcode=4331AB&q=schulden")
    assert axe_violations(browser) == []  # the results with their "Verwijs" forms
    card = browser.find_element(By.ID, f"dienst-{DEBT['service']['id']}")
    card.find_element(By.XPATH, ".//button[starts-with(normalize-space(), 'Verwijs')]").click()
    wait_for_text(browser, "Aanmeldcode: WK-")  # open to anyone: the code announces the patient
    code = re.search(r"WK-[0-9A-Z-]+", browser.find_element(By.CLASS_NAME, "handout__code").text).group(0)  # type: ignore[union-attr]
    assert axe_violations(browser) == []
    screenshot(browser, "folder-met-verwijscode")
    assert printed_pages(browser, "folder-met-verwijscode") == [A4_POINTS]
    browser.find_element(By.LINK_TEXT, "Mijn verwijzingen").click()
    wait_for_text(browser, code)
    assert axe_violations(browser) == []
    screenshot(browser, "mijn-verwijzingen")
    sign_out_if_needed(browser)
