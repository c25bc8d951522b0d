"""pyLoad's own web UI in headless Chromium: the Offcloud account and the finished demo downloads.

What a user sees after ``./run demo``: logged into pyLoad's web interface, *Settings → Accounts*
shows the OffcloudCom account as valid and premium with its expiry date, and the queue lists every
file of the demo's items as finished. The browser is Debian's ``chromium`` driven through its
``chromedriver`` with selenium; without them the test is skipped with the reason.

With ``OFFCLOUD_SCREENSHOTS=1`` the screenshots go to ``docs/`` (the ones the README shows),
otherwise into the test's temporary folder, so an ordinary run leaves the tree alone.
Set ``OFFCLOUD_CHROMIUM`` / ``OFFCLOUD_CHROMEDRIVER`` to use other binaries.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

pytest.importorskip("pyload")

from offcloud_api.harness.demo import PYLOAD_LOGIN, SIMULATOR_ITEMS, expected_files
from offcloud_api.harness.runner import FINAL_STATUSES, LinkStatus, PyloadProcess
from offcloud_api.harness.stack import ACCOUNT_LOGIN, PLUGIN, OffcloudPyloadStack

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).parents[2] / "docs"
INSTALL_HINT = "apt-get install chromium chromium-driver"
WINDOW = (1400, 900)
#: Flags for a headless Chromium that stays off the network except for pyLoad on 127.0.0.1.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)


def _binary(env: str, *names: str) -> Optional[str]:
    """The executable named by ``env``, else the first of ``names`` on PATH (None if missing)."""
    configured = os.environ.get(env)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_binaries() -> tuple[str, str]:
    """(chromium, chromedriver), or skip the test saying what is missing and how to get it."""
    chromium = _binary("OFFCLOUD_CHROMIUM", "chromium", "chromium-browser")
    if chromium is None:
        pytest.skip(
            f"Chromium not installed (or OFFCLOUD_CHROMIUM does not name it): {INSTALL_HINT}"
        )
    driver = _binary("OFFCLOUD_CHROMEDRIVER", "chromedriver")
    if driver is None:
        pytest.skip(
            "chromedriver not installed (or OFFCLOUD_CHROMEDRIVER does not name it): "
            f"{INSTALL_HINT}"
        )
    return chromium, driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (selenium WebDriver) with a fresh profile; quit afterwards."""
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium not installed: pip install -e '.[test]'"
    )
    chromium, driver_path = browser_binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    service = webdriver.ChromeService(
        executable_path=driver_path, log_output=str(tmp_path / "chromedriver.log")
    )
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_window_size(*WINDOW)
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()  # ends chromedriver and every Chromium process it started


def _screenshot_dir(tmp_path: Path) -> Path:
    if os.environ.get("OFFCLOUD_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        return DOCS
    return tmp_path


def _expected_names(stack: OffcloudPyloadStack) -> set[str]:
    """Every file name the simulator serves for the demo's items (as the demo computes them)."""
    names: set[str] = set()
    for _, url, _, _ in SIMULATOR_ITEMS:
        names.update(expected_files(stack.simulator, url))
    return names


def _all_finished(expected: set[str]) -> Any:
    def done(process: PyloadProcess) -> bool:
        files = process.files()
        finished = {f["name"] for f in files if f["status"] == LinkStatus.FINISHED}
        return expected <= finished and all(f["status"] in FINAL_STATUSES for f in files)

    return done


def _wait(driver: Any, condition: Any, what: str, timeout: float = 15) -> Any:
    from selenium.common.exceptions import TimeoutException  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        pytest.fail(f"{what} did not happen within {timeout:g} s; page text:\n{_text(driver)}")


def _text(driver: Any) -> str:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    return str(driver.find_element(By.TAG_NAME, "body").text)


def _fit_window_to_page(driver: Any, most: int = 2400) -> None:
    """Make the window as tall as the page (up to ``most``), scrolled to the top, mouse aside."""
    from selenium.webdriver.common.action_chains import ActionChains  # noqa: PLC0415
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    page, inner = driver.execute_script(
        "return [document.documentElement.scrollHeight, window.innerHeight]"
    )
    chrome = WINDOW[1] - int(inner)  # what the window has besides the page
    driver.set_window_size(WINDOW[0], min(max(WINDOW[1], int(page) + chrome), most))
    driver.execute_script("window.scrollTo(0, 0)")
    # No package row left hovered (it would show its buttons): rest the mouse on the footer.
    ActionChains(driver).move_to_element(driver.find_element(By.ID, "foot")).perform()
    time.sleep(0.3)


def _login(driver: Any, web_url: str) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    driver.get(f"{web_url}/login")
    # The form carries pyLoad's CSRF token; submitting it as a user does sends the token along.
    assert driver.find_element(By.CSS_SELECTOR, "#login input[name=csrf_token]")
    driver.find_element(By.ID, "username").send_keys(PYLOAD_LOGIN[0])
    driver.find_element(By.ID, "password").send_keys(PYLOAD_LOGIN[1])
    driver.find_element(By.ID, "password").submit()
    _wait(driver, lambda d: "/login" not in d.current_url, "the login")
    assert "Logout" in _text(driver) or "logout" in driver.page_source, _text(driver)


def test_web_ui_shows_the_offcloud_account_and_the_finished_demo_downloads(
    tmp_path: Path, browser: Any
) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    shots = _screenshot_dir(tmp_path)
    with OffcloudPyloadStack(tmp_path / "stack") as stack:
        expected = _expected_names(stack)
        for _, url, _, package in SIMULATOR_ITEMS:
            stack.process.add_package(package, [url])
        stack.process.wait_until(_all_finished(expected), 90, 0.5)
        account = stack.account()
        assert account["valid"], account
        assert account["premium"], account
        # pyLoad's settings page formats the expiry in its own local time, "%d.%m.%Y".
        expiry = time.strftime("%d.%m.%Y", time.localtime(account["validuntil"]))

        web_url = stack.process.web_url
        _login(browser, web_url)

        # Settings → Accounts: the OffcloudCom row says valid, premium, and until when.
        browser.get(f"{web_url}/settings")
        browser.find_element(By.CSS_SELECTOR, "a[href='#accounts']").click()
        _wait(
            browser,
            lambda d: "in" in str(d.find_element(By.ID, "accounts").get_attribute("class")).split(),
            "showing the Accounts tab",
        )
        time.sleep(0.5)  # the tab fades in
        rows = browser.find_elements(By.CSS_SELECTOR, "#accounts tr")
        cells = [
            [cell.text.strip() for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows
        ]
        ours = [row for row in cells if row[:2] == [PLUGIN, ACCOUNT_LOGIN]]
        assert len(ours) == 1, cells
        status, premium, valid_until = ours[0][3:6]
        assert (status, premium, valid_until) == ("valid", "yes", expiry), ours[0]
        browser.save_screenshot(str(shots / "pyload-accounts.png"))

        # The queue: open every package; each demo file is listed, and as finished.
        browser.get(f"{web_url}/queue")
        packages = browser.find_elements(By.CSS_SELECTOR, "#package-list > li")
        assert packages, _text(browser)
        for package in packages:
            package.find_element(By.CSS_SELECTOR, ".packagename .name").click()
            pid = (package.get_attribute("id") or "").rpartition("_")[2]
            _wait(
                browser,
                lambda d, pid=pid: d.find_elements(By.CSS_SELECTOR, f"#sort_children_{pid} > li"),
                f"listing the files of package {pid}",
            )
        _wait(
            browser,
            lambda d: expected <= {n for n in expected if n in _text(d)},
            "listing every demo file",
        )
        page = _text(browser)
        missing = sorted(name for name in expected if name not in page)
        assert not missing, page
        # Each file is a line of its own, and the next line starts with its status.
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        for name in sorted(expected):
            assert name in lines, (name, page)
            status_line = lines[lines.index(name) + 1]
            assert status_line.startswith("finished"), (name, status_line)
        _fit_window_to_page(browser)
        browser.save_screenshot(str(shots / "pyload-queue.png"))

    for name in ("pyload-accounts.png", "pyload-queue.png"):
        assert (shots / name).stat().st_size > 10_000, name
