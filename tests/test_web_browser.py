"""The workbench end to end in a real browser: `mtus serve` on a free port, driven by headless
Chromium through Selenium, with the keyboard where a reviewer would use it. A screenshot of each
page goes to build/test-output/web/ (or $MTUS_TEST_OUTPUT/web/).

Needs Debian's chromium and chromium-driver (`apt-get install -y chromium chromium-driver`; .ci/run
installs them); skipped with that message when they are absent."""

from __future__ import annotations

import io
import os
import re
import selectors
import shutil
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
import yaml

from checker.api import Checker
from checker.load.case import load_case

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--window-size=1400,1000",
)
SHOTS = Path(os.environ.get("MTUS_TEST_OUTPUT", REPO / "build" / "test-output")) / "web"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(DRIVER).is_file()),
    reason="headless Chromium is not installed: apt-get install -y chromium chromium-driver (.ci/run installs them)",
)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[test]'")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402
from test_web import LETTER, NOTES, REQUEST, regress_folder  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """`mtus serve --port 0`, as a reviewer starts it; its address is the line it prints."""
    process = subprocess.Popen([sys.executable, "-m", "checker.cli", "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = _first_line(process, timeout=60)
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, f"mtus serve printed {line!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        yield found.group(0)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError(f"mtus serve printed nothing in {timeout} s")
    return process.stdout.readline()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(5)
    driver.downloads = downloads
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def shot(browser, name: str) -> None:
    """A screenshot of the whole page, for the record (and the README)."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(max(height, 1000), 6000))
    browser.save_screenshot(str(SHOTS / f"{name}.png"))
    browser.set_window_size(1400, 1000)


def decisions(browser) -> list[str]:
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "p.decision")]


def press(browser, element) -> None:
    """Focus a control and press Enter, as a keyboard user does; wait for the new page."""
    old = browser.find_element(By.TAG_NAME, "html")
    element.send_keys(Keys.ENTER)
    for _ in range(100):
        try:
            old.is_enabled()
        except Exception:  # noqa: BLE001 - the old page is gone (StaleElementReferenceException)
            return
        time.sleep(0.05)
    raise AssertionError("the page did not change")


def downloaded(browser, name: str, timeout: float = 20) -> bytes:
    target = Path(browser.downloads) / name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.is_file() and not Path(str(target) + ".crdownload").exists():
            data = target.read_bytes()
            target.unlink()
            return data
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded; found {sorted(p.name for p in Path(browser.downloads).iterdir())}")


def click_download(browser, label: str, name: str) -> bytes:
    button = browser.find_element(By.XPATH, f"//section[@id='draft-panel']//button[normalize-space()='{label}']")
    button.send_keys(Keys.ENTER)
    return downloaded(browser, name)


def test_paste_notes_correct_facts_and_download_the_draft_and_the_case_file(browser, server, tmp_path):
    browser.get(server)
    shot(browser, "home")
    browser.find_element(By.ID, "text").send_keys(NOTES)
    browser.find_element(By.ID, "requests").send_keys(REQUEST)
    date = browser.find_element(By.ID, "request_date")
    date.send_keys("09022015")
    assert date.get_attribute("value") == "2015-09-02"
    browser.find_element(By.ID, "case_id").send_keys("browser-test")
    press(browser, browser.find_element(By.CSS_SELECTOR, "#new button[type=submit]"))
    assert browser.title == "browser-test: mtus-checker workbench"
    assert decisions(browser) == ["Not medically necessary"]
    assert len(browser.find_elements(By.CSS_SELECTOR, ".clinical-text mark")) >= 8
    assert "negated (cue “no”)" in browser.find_element(By.ID, "facts").text
    shot(browser, "workbench")

    # the reviewer adds the missing fact: the item becomes medically necessary
    Select(browser.find_element(By.ID, "add_fact")).select_by_value("functional_improvement")
    Select(browser.find_element(By.ID, "add_where")).select_by_value("item-0")
    browser.find_element(By.ID, "add_value").send_keys("true")
    browser.find_element(By.ID, "add_reason").send_keys("walks 30 minutes with Norco, noted by the prescriber")
    press(browser, browser.find_element(By.CSS_SELECTOR, "button[value=add]"))
    assert decisions(browser) == ["Medically necessary"]
    shot(browser, "workbench-fact-added")
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(SHOTS / "workbench-window.png"))  # the top of the page as a window shows it: the README's picture

    # then corrects an extracted fact: back to not medically necessary
    row = browser.find_element(By.XPATH, "//article[.//code[text()='aberrant_drug_behavior']]")
    Select(row.find_element(By.TAG_NAME, "select")).select_by_value("true")
    row.find_element(By.CSS_SELECTOR, "input[id$=-reason]").send_keys("CURES shows early refills")
    press(browser, row.find_element(By.CSS_SELECTOR, "button[value='set.case.aberrant_drug_behavior']"))
    assert decisions(browser) == ["Not medically necessary"]
    assert "reason: CURES shows early refills" in browser.find_element(By.XPATH, "//article[.//code[text()='aberrant_drug_behavior']]").text

    # the case file: loads with `mtus check`, the reviewer's facts with their reasons
    case_bytes = click_download(browser, "Case file (YAML, for mtus check)", "browser-test.yaml")
    case_file = tmp_path / "browser-test.yaml"
    case_file.write_bytes(case_bytes)
    case = load_case(case_file, Checker().ruleset)
    assert case.facts["aberrant_drug_behavior"].value is True and case.facts["aberrant_drug_behavior"].reason == "CURES shows early refills"
    assert case.requests[0].facts["functional_improvement"].origin == "reviewer"

    # the draft in three formats, each what the command line makes of that case file
    for label, name, fmt in (("Markdown", "browser-test-draft.md", "markdown"), ("HTML", "browser-test-draft.html", "html"),
                             ("Word (DOCX)", "browser-test-draft.docx", "docx")):
        cli = subprocess.run([sys.executable, "-m", "checker.cli", "draft", str(case_file), "--format", fmt], capture_output=True, check=True)
        assert click_download(browser, label, name) == cli.stdout, name
    document = docx.Document(io.BytesIO(click_download(browser, "Word (DOCX)", "browser-test-draft.docx")))
    assert "1. Norco 10/325 mg one tab PO TID #90: Not medically necessary" in [p.text for p in document.paragraphs if p.style.name == "Heading 3"]

    # the reviewer edits the draft; the downloads carry the edit
    draft = browser.find_element(By.ID, "draft")
    draft.send_keys(Keys.CONTROL, Keys.END)
    draft.send_keys("\nReviewed with the progress report of 08/20/2015.")
    assert "Reviewed with the progress report of 08/20/2015." in click_download(browser, "Markdown", "browser-test-draft.md").decode("utf-8")
    document = docx.Document(io.BytesIO(click_download(browser, "Word (DOCX)", "browser-test-draft.docx")))
    assert any("Reviewed with the progress report of 08/20/2015." in p.text for p in document.paragraphs)
    shot(browser, "workbench-draft")


def test_open_a_letter(browser, server, tmp_path):
    letter = tmp_path / "letter.txt"
    letter.write_text(LETTER, encoding="utf-8")
    browser.get(server)
    browser.find_element(By.ID, "open-file").send_keys(str(letter))
    press(browser, browser.find_element(By.CSS_SELECTOR, "#open button[type=submit]"))
    assert browser.title == "CM99-0000042: mtus-checker workbench"
    assert "The letter decided: Not medically necessary (the checklist agrees)" in browser.find_element(By.ID, "checklist").text
    assert len(browser.find_elements(By.CSS_SELECTOR, ".clinical-text mark")) >= 3
    shot(browser, "letter")
    # a mark's label leads to its fact, and the fact back to its evidence
    label = browser.find_element(By.CSS_SELECTOR, ".clinical-text a.ref")
    row = label.get_attribute("href").rsplit("#", 1)[1]
    press_link(browser, label)
    assert browser.execute_script("return location.hash") == f"#{row}"


def press_link(browser, link) -> None:
    link.send_keys(Keys.ENTER)
    time.sleep(0.2)


def test_regression_view_links_each_disagreeing_item(browser, server, tmp_path):
    folder = regress_folder(tmp_path)
    browser.get(server)
    browser.find_element(By.ID, "folder").send_keys(str(folder))
    press(browser, browser.find_element(By.CSS_SELECTOR, "#regress button[type=submit]"))
    assert "Decision agreement (ruled items)" in browser.find_element(By.TAG_NAME, "main").text
    shot(browser, "regress")
    link = browser.find_element(By.LINK_TEXT, "seed-000 / soma")
    press(browser, link)
    assert "Opened from the regression run at item soma" in browser.find_element(By.TAG_NAME, "main").text
    assert "(the checklist differs)" in browser.find_element(By.ID, "checklist").text
    assert yaml.safe_load(browser.find_element(By.NAME, "case_yaml").get_attribute("value"))["case"] == "seed-000"
