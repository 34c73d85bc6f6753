"""GUI test fixtures: a virtual X display, a fresh real notebook, the app, screenshots.

The display is the one in ``DISPLAY`` when set; otherwise an Xvfb server is started on a free
display number for the session. Every test gets its own notebook (``Notebook.create`` in
``tmp_path``) and its own app (one root window), driven by calling handlers and pumping
Tk events with ``update()``.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from casebook import Notebook, i18n

PASSPHRASE = "correct horse 电池 staple"
ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
FAILURE_SCREENSHOTS = Path(__file__).parent / "screenshots"
SCREEN = "1400x900x24"


def start_xvfb(server: str) -> tuple[subprocess.Popen, str] | None:
    """Xvfb on a display number it picks itself (``-displayfd``), so parallel runs never
    race for the same number."""
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [server, "-displayfd", str(write_end), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 15
    with os.fdopen(read_end, "rb") as pipe:
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = pipe.read(1)
            if not chunk:
                break
            number += chunk
    if not number.strip().isdigit():
        process.kill()
        return None
    return process, f":{number.strip().decode()}"


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    """An X display for real Tk windows: ``DISPLAY`` if set, else a private Xvfb."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    server = shutil.which("Xvfb")
    if server is None:
        pytest.skip("no DISPLAY and no Xvfb: GUI tests need an X server")
    started = start_xvfb(server)
    if started is None:
        pytest.skip("Xvfb did not start")
    process, display = started
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        del os.environ["DISPLAY"]
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def language():
    """Set the UI language for one test (``language("zh_CN")``); reset afterwards."""

    def set_language(code: str) -> None:
        i18n.set_language(code)

    yield set_language
    i18n._language = None


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    return tmp_path / "notebook"


@pytest.fixture
def notebook(notebook_dir: Path) -> Iterator[Notebook]:
    nb = Notebook.create(
        notebook_dir, PASSPHRASE, officer_id="A1001", officer_name="王警官", unit="中山路派出所"
    )
    yield nb
    nb.close()


class AppDriver:
    """The app under test plus the little helpers every GUI test needs."""

    def __init__(self, app) -> None:
        self.app = app
        self.root = app.root

    @property
    def shell(self):
        return self.app.shell

    def pump(self, rounds: int = 3) -> None:
        """Process pending Tk events and background-job results."""
        for _ in range(rounds):
            self.app.jobs.drain()
            self.root.update()

    def wait_for(self, condition: Callable[[], object], timeout: float = 15.0) -> object:
        """Pump events until ``condition()`` is truthy; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump(1)
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {condition}")
            time.sleep(0.02)

    def settle(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(1)
            time.sleep(0.02)

    def refresh_status(self):
        """Refresh the sync status bar and wait for its figures (read off the UI thread)."""
        bar = self.shell.status_bar
        bar.refresh()
        self.wait_for(lambda: not bar.refreshing)
        return bar

    def wait_list(self, page):
        """Wait until the case list shows the answer to its latest query."""
        self.wait_for(lambda: page.search_after is None and not page.loading)
        return page

    def notice(self) -> str:
        return self.shell.notice.text if self.shell is not None else ""

    def screenshot(self, path: Path, window=None) -> Path:
        """Save what ``window`` (default: the main window) shows as a PNG."""
        from PIL import ImageGrab

        window = window or self.root
        window.update_idletasks()
        self.pump(2)
        x, y = window.winfo_rootx(), window.winfo_rooty()
        width, height = window.winfo_width(), window.winfo_height()
        image = ImageGrab.grab(
            bbox=(x, y, x + width, y + height), xdisplay=os.environ.get("DISPLAY")
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
        return path

    def doc_screenshot(self, screen: str, window=None) -> Path:
        """``docs/screenshots/gui-<screen>-<lang>.png``, as the README shows them."""
        lang = "en" if i18n.language() == "en" else "zh_CN"
        return self.screenshot(DOCS_SCREENSHOTS / f"gui-{screen}-{lang}.png", window)


@pytest.fixture
def make_app(x_display, notebook_dir, request):
    """Build the app (``make_app()`` on ``notebook_dir``, or ``make_app(notebook=nb)``)."""
    from casebook.gui.app import CasebookApp

    drivers: list[AppDriver] = []

    def build(
        notebook: Notebook | None = None, directory: Path | None = None, demo_if_new: bool = False
    ) -> AppDriver:
        app = CasebookApp(directory or notebook_dir, notebook=notebook, demo_if_new=demo_if_new)
        app.root.geometry("1280x820+0+0")
        driver = AppDriver(app)
        drivers.append(driver)
        driver.pump(5)
        return driver

    yield build
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for driver in drivers:
        try:
            if failed:
                driver.screenshot(FAILURE_SCREENSHOTS / f"{request.node.name}.png")
        except Exception:  # noqa: BLE001 - a failed screenshot must not hide the failure
            pass
        try:
            driver.app.on_close()
        except Exception:  # noqa: BLE001
            pass
    # Free this app's Tk objects now, on the main thread, not in a later test's worker.
    drivers.clear()
    gc.collect()


@pytest.fixture
def app(make_app, notebook) -> AppDriver:
    """The main window on a fresh, unlocked notebook."""
    return make_app(notebook=notebook)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item, so fixtures know a test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
