"""Helpers of the site test: the pages of ``_toc.yml`` and one visit of one page.

See ``conftest.py`` for how the browser is found and the site is served.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 60_000

# url -> pages that asked for it; printed by pytest_terminal_summary
THIRD_PARTY: dict[str, set[str]] = {}


def toc_docnames() -> list[str]:
    """Every document of ``_toc.yml`` (root first), e.g. ``["book/intro", "book/01_ot_primal"]``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                names.append(str(node["file"]))
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [str(Path(n).with_suffix("")) if Path(n).suffix in (".md", ".ipynb") else n
            for n in names]


def is_notebook(docname: str) -> bool:
    return (ROOT / f"{docname}.ipynb").is_file()


def find_browser() -> str | None:
    """The Chromium to drive: ``$CHROMIUM``, else the first of :data:`BROWSER_NAMES` on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    """What one visit of one page found."""

    docname: str
    url: str
    status: int | None = None
    title: str = ""
    seconds: float = 0.0
    has_article: bool = False
    images: list[dict] = field(default_factory=list)  # src, width, height of <img> in <article>
    math_total: int = 0  # elements Sphinx marked as math
    math_untypeset: list[str] = field(default_factory=list)  # .math elements without MathJax
    math_containers: int = 0  # <mjx-container> elements MathJax produced
    raw_math: list[str] = field(default_factory=list)  # delimiters left in the visible text
    links: list[str] = field(default_factory=list)  # absolute hrefs of every <a>
    ids: set[str] = field(default_factory=set)  # ids and names in the page, for #anchors
    console: list[tuple[str, str, str]] = field(default_factory=list)  # type, text, url
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions, with stack
    failed_requests: list[tuple[str, str]] = field(default_factory=list)  # url, reason
    bad_responses: list[tuple[str, int]] = field(default_factory=list)  # url, status >= 400
    third_party: list[str] = field(default_factory=list)  # blocked requests to other origins
    screenshot: Path | None = None


_COLLECT_JS = """
async () => {
  // MathJax 3 resolves startup.promise once the first typesetting pass is over.
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const article = document.querySelector("article.bd-article");
  const imgs = article ? Array.from(article.querySelectorAll("img")) : [];
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done); img.addEventListener("error", done);
  })));
  const math = article ? Array.from(article.querySelectorAll(".math")) : [];
  let text = "";
  if (article) {
    const copy = article.cloneNode(true);
    copy.querySelectorAll("pre, code, script, style, textarea, mjx-container")
        .forEach(e => e.remove());
    text = copy.textContent;
  }
  return {
    title: document.title,
    hasArticle: article !== null,
    images: imgs.map(img => ({src: img.currentSrc || img.src,
                              width: img.naturalWidth, height: img.naturalHeight})),
    mathTotal: math.length,
    mathUntypeset: math.filter(e => !e.querySelector("mjx-container"))
                       .map(e => e.textContent.slice(0, 80)),
    mathContainers: document.querySelectorAll("mjx-container").length,
    text: text,
    links: Array.from(document.querySelectorAll("a[href]"), a => a.href),
    ids: Array.from(document.querySelectorAll("[id]"), e => e.id)
           .concat(Array.from(document.querySelectorAll("a[name]"), a => a.name)),
  };
}
"""

RAW_MATH_DELIMITERS = ("$$", "\\(", "\\)", "\\[", "\\]", "\\begin{")


def visit_page(context, base_url: str, origin: str, docname: str) -> PageReport:
    report = PageReport(docname=docname, url=f"{base_url}{docname}.html")
    page = context.new_page()

    def route(route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == origin:
            route.continue_()
        else:
            report.third_party.append(url)
            THIRD_PARTY.setdefault(url, set()).add(docname)
            route.abort()

    def on_response(response) -> None:
        if response.status >= 400:
            report.bad_responses.append((response.url, response.status))

    page.route("**/*", route)
    page.on("console", lambda m: report.console.append((m.type, m.text, m.location.get("url", ""))))
    page.on("pageerror", lambda e: report.page_errors.append(f"{e.name}: {e.message}\n{e.stack}"))
    page.on("requestfailed", lambda r: report.failed_requests.append((r.url, r.failure or "")))
    page.on("response", on_response)

    start = time.perf_counter()
    response = page.goto(report.url, wait_until="load")
    report.status = response.status if response is not None else None
    found = page.evaluate(_COLLECT_JS)
    report.seconds = time.perf_counter() - start

    report.title = found["title"]
    report.has_article = found["hasArticle"]
    report.images = found["images"]
    report.math_total = found["mathTotal"]
    report.math_untypeset = found["mathUntypeset"]
    report.math_containers = found["mathContainers"]
    report.raw_math = [
        " ".join(found["text"][max(0, i - 40) : i + 40].split())
        for d in RAW_MATH_DELIMITERS
        if (i := found["text"].find(d)) >= 0
    ]
    report.links = found["links"]
    report.ids = set(found["ids"])

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report.screenshot = SCREENSHOTS / f"{Path(docname).name}.png"
    page.screenshot(path=str(report.screenshot), full_page=True)
    page.close()
    return report


