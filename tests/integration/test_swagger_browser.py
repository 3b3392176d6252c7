"""Swagger UI in a real headless Chromium, on the local stack: the page lists the API's
operations, and "Try it out" -> "Execute" on GET /api/segments answers 200."""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "scripts" / "install-chromium.sh"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
WAIT_SECONDS = 30


def _chromium() -> tuple[str, str]:
    """Paths of Chromium and chromedriver, installing them (Debian packages) if missing."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        installed = subprocess.run([str(INSTALLER)], capture_output=True, text=True, check=False)
        if installed.returncode != 0:
            pytest.skip(f"Chromium cannot be installed here: {installed.stderr.strip()[-300:]}")
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert browser is not None
    assert driver is not None
    return browser, driver


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    binary, driver_path = _chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def _operation_block(browser: WebDriver, operation_id: str) -> Any:
    # Swagger UI names each operation block after its tag and operationId.
    return WebDriverWait(browser, WAIT_SECONDS).until(
        expected_conditions.presence_of_element_located(
            (By.CSS_SELECTOR, f"[id$='-{operation_id}']")
        )
    )


def test_swagger_ui_lists_every_operation_and_runs_one(browser: WebDriver, stack: Any) -> None:
    browser.get(f"{stack.base_url}/docs")
    WebDriverWait(browser, WAIT_SECONDS).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock"))
    )
    listed = {
        element.text.replace("\u200b", "")
        for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {
        "/api/segments",
        "/api/segments/{slug}",
        "/auth/register",
        "/api/users/{id}/add_to_segment",
        "/api/users/{id}/show_active_segments",
        "/api/users/{id}/delete_from_segment",
        "/api/users/{id}/segments",
        "/api/users/show_segments_history/{year}/{month}",
    } <= listed

    block = _operation_block(browser, "list_segments")
    block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    WebDriverWait(block, WAIT_SECONDS).until(
        lambda element: element.find_element(By.CSS_SELECTOR, ".try-out__btn")
    ).click()
    block.find_element(By.CSS_SELECTOR, ".execute").click()

    status = WebDriverWait(block, WAIT_SECONDS).until(
        lambda element: element.find_element(
            By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"
        )
    )
    assert status.text.strip().startswith("200"), status.text
    body = block.find_element(
        By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_description"
    )
    assert '"segments"' in body.text
