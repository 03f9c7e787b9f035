"""Serve the built book on localhost and visit its pages in headless Chromium.

The browser is the system's Chromium (Debian's ``chromium`` package; ``CHROMIUM=/path`` picks
another Chrome or Chromium), driven by Playwright. Playwright's Python wheel carries its own
driver and talks to the browser over the DevTools protocol, so nothing is downloaded at run
time (``playwright install`` is never needed). Each page listed in ``_toc.yml`` is loaded once;
what the checks need is recorded in a :class:`PageReport` and a full-page screenshot is saved
to ``_build/screenshots/<page>.png``.

Requests to other origins (the CDN copies of require.js and the Jupyter widget manager that
static widget outputs ask for) are blocked, so the checks give the same answer online and
offline; they are listed at the end of the test session.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sitecheck import (
    CODE_SCROLLS,
    SCREENSHOTS,
    SITE,
    THIRD_PARTY,
    TIMEOUT_MS,
    VIEWPORTS,
    PageReport,
    find_browser,
    visit_page,
)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.skip(f"no built book at {SITE}: run `make build-check` (or `make book`) first")
    return SITE


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on localhost; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: any free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def base_url(site_dir: Path):
    with serve(site_dir) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="the site test drives Chromium with Playwright: pip install playwright "
        "(it is in the [dev] extra; `playwright install` is not needed)",
    )
    executable = find_browser()
    if executable is None:
        pytest.skip(
            "no Chromium on PATH: install it (Debian/Ubuntu: "
            "`sudo apt-get install --no-install-recommends chromium`) "
            "or set CHROMIUM=/path/to/chrome"
        )
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True)
        yield chromium
        chromium.close()


class _Contexts:
    """One browser context per viewport of :data:`sitecheck.VIEWPORTS`, made on first use."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.made: dict[str, object] = {}

    def __call__(self, viewport: str):
        if viewport not in self.made:
            context = self.browser.new_context(viewport=VIEWPORTS[viewport],
                                               service_workers="block")
            context.set_default_timeout(TIMEOUT_MS)
            self.made[viewport] = context
        return self.made[viewport]

    def close(self) -> None:
        for context in self.made.values():
            context.close()


@pytest.fixture(scope="session")
def visit(browser, base_url: str):
    """``visit(docname, viewport="1280px")`` loads a page once per session and viewport (a key
    of :data:`sitecheck.VIEWPORTS`) and returns its :class:`PageReport`; the screenshot is
    taken at 1280 px."""
    contexts = _Contexts(browser)
    origin = urlsplit(base_url).netloc
    cache: dict[tuple[str, str], PageReport] = {}

    def load(docname: str, viewport: str = "1280px") -> PageReport:
        if (docname, viewport) not in cache:
            cache[docname, viewport] = visit_page(contexts(viewport), base_url, origin, docname,
                                                  screenshot=viewport == "1280px")
        return cache[docname, viewport]

    yield load
    contexts.close()


@pytest.fixture(scope="session")
def visit_fixture(browser, tmp_path_factory):
    """``visit_fixture(name, html, files, viewport="1280px")``: write a fixture page (and e.g.
    PNG files) to a temporary site, load it like a page of the book and return its
    :class:`PageReport`."""
    root = tmp_path_factory.mktemp("fixture_site")
    with serve(root) as url:
        contexts = _Contexts(browser)

        def load(name: str, html: str, files: dict[str, bytes] | None = None,
                 viewport: str = "1280px") -> PageReport:
            for file, data in (files or {}).items():
                (root / file).write_bytes(data)
            (root / f"{name}.html").write_text(html, encoding="utf-8")
            return visit_page(contexts(viewport), url, urlsplit(url).netloc, name,
                              screenshot=False)

        yield load
        contexts.close()


def pytest_terminal_summary(terminalreporter) -> None:
    if CODE_SCROLLS:
        terminalreporter.section("code blocks outside notebook cells that scroll sideways "
                                 "(allowed; shorter is nicer)")
        for docname, items in sorted(CODE_SCROLLS.items()):
            terminalreporter.write_line(f"{docname}: {len(items)}")
            for item in items[:5]:
                terminalreporter.write_line(f"    {item}")
    if not THIRD_PARTY:
        return
    terminalreporter.section("requests to other origins (blocked; the book works without them)")
    for url, pages in sorted(THIRD_PARTY.items()):
        terminalreporter.write_line(f"{url}\n    asked for by {len(pages)} page(s): "
                                    f"{', '.join(sorted(pages))}")
    if SCREENSHOTS.is_dir():
        terminalreporter.write_line(f"screenshots: {SCREENSHOTS}")
