"""The web chat in headless Chromium, driven by keyboard only: a question shows the guidance passage that
applies, and a draft shows its risky words highlighted with the passage and advice beside them.

Uses the real model (slow). Debian's `chromium` and `chromium-driver` packages are needed; `.ci/run`
installs them. Screenshots go to $WEBCHAT_SCREENSHOT_DIR when set (`docs/` for the README), else to a
temporary directory, so a test run does not rewrite tracked files.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.serve import create_app
from tests.scenario.live import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
        reason="Chromium is not installed: apt-get install chromium chromium-driver (.ci/run does this)",
    ),
]

QUESTION = "can I tweet about this planning app?"
DRAFT = (
    "Lovely evening at the community centre. Councillor Jones is a crook and everyone knows it. "
    "Ward page password is Tulip99 if anyone wants to post."
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1100,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def server(settings, real_assistant) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings, lambda: real_assistant)) as live:
        yield live.wait_ready()


def _screenshot(driver, name: str, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    out = Path(os.environ.get("WEBCHAT_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    for _ in range(3):  # the window includes browser chrome: grow until the whole page fits the viewport
        missing = driver.execute_script("return document.documentElement.scrollHeight - window.innerHeight")
        if int(missing) <= 0:
            break
        size = driver.get_window_size()
        driver.set_window_size(size["width"], min(size["height"] + int(missing) + 20, 2600))
    assert driver.save_screenshot(str(path))
    return path


def test_question_shows_the_passage_and_draft_shows_a_highlighted_flag(browser, server: LiveServer, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    wait = WebDriverWait(driver, 30)
    driver.get(server.url + "/")
    assert driver.title == "Social media guidance assistant"
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] if hasattr(driver, "get_log") else []
    assert not errors, f"console errors (a CSP violation or a missing asset?): {errors}"

    # Ask, by keyboard: the question box is labelled, Enter submits.
    question = driver.find_element(By.ID, "question")
    assert driver.find_element(By.CSS_SELECTOR, "label[for=question]").text == "Your question"
    question.click()
    question.send_keys(QUESTION, Keys.ENTER)
    card = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#answer article.answer")))
    quoted = card.find_element(By.TAG_NAME, "blockquote").text
    assert "open mind" in quoted and "planning" in quoted, quoted
    assert "Guidance version" in card.text
    _screenshot(driver, "webchat-ask.png", tmp_path)

    # Switch tabs with the arrow key, then tab into the draft box; Ctrl+Enter checks it.
    driver.find_element(By.ID, "tab-ask").send_keys(Keys.ARROW_RIGHT)
    assert driver.find_element(By.ID, "tab-check").get_attribute("aria-selected") == "true"
    assert driver.find_element(By.ID, "panel-ask").get_attribute("hidden") is not None
    driver.switch_to.active_element.send_keys(Keys.TAB)
    draft = driver.switch_to.active_element
    assert draft.get_attribute("id") == "draft", "Tab from the selected tab reaches the draft box"
    draft.send_keys(DRAFT, Keys.CONTROL, Keys.ENTER)
    mark = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#check mark")))
    assert mark.text == "is a crook" or "crook" in mark.text
    assert "Defamation" in mark.get_attribute("aria-label")
    flag = driver.find_element(By.CSS_SELECTOR, "#check .flags li")
    assert "Defamation" in flag.text and flag.find_element(By.TAG_NAME, "blockquote").text.strip()
    assert mark.value_of_css_property("background-color") != driver.find_element(By.CSS_SELECTOR, "#check .draft").value_of_css_property(
        "background-color"
    ), "the flagged words must stand out from the rest of the draft"
    _screenshot(driver, "webchat-check.png", tmp_path)
