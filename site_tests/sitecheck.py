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
# The test build of `make build-check` (`make site` passes VEGAN_SITE_DIR; SITE_DIR=_build/html
# checks the HTML of `make book` instead).
SITE = Path(os.environ.get("VEGAN_SITE_DIR") or ROOT / "_build" / "check" / "_build" / "html")
SCREENSHOTS = ROOT / "_build" / "screenshots"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
VIEWPORT = {"width": 1280, "height": 900}
# The book's normal width: the theme caps the page at 88rem (1408 px), so every window at least
# that wide shows the same text column (854 px; 752 px at 1280). The checks that nothing
# scrolls sideways (readers.output_scrolls, readers.code_cell_scrolls) run at both widths.
NORMAL_VIEWPORT = {"width": 1440, "height": 900}
VIEWPORTS = {"1280px": VIEWPORT, "normal": NORMAL_VIEWPORT}
TIMEOUT_MS = 60_000

# url -> pages that asked for it; printed by pytest_terminal_summary
THIRD_PARTY: dict[str, set[str]] = {}
# docname -> code blocks outside notebook cells (markdown code blocks) that scroll sideways
# (allowed, listed by pytest_terminal_summary; cell inputs and outputs that scroll fail)
CODE_SCROLLS: dict[str, list[str]] = {}


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
    viewport: int = VIEWPORT["width"]  # CSS px
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
    # what a reader sees (the checks of readers.py)
    text: str = ""  # visible text of the article outside math, code and scripts
    wide: list[dict] = field(default_factory=list)  # math/tables wider than their box
    code_scroll: list[dict] = field(default_factory=list)  # code blocks that scroll sideways
    # notebook cells a reader sees whose content is wider than its box (innermost element)
    output_scroll: list[dict] = field(default_factory=list)  # in a .cell_output
    input_scroll: list[dict] = field(default_factory=list)  # in a visible .cell_input
    figures: list[dict] = field(default_factory=list)  # src, natural/displayed width, dpi
    stderr: list[str] = field(default_factory=list)  # text of stored stderr outputs
    widgets: list[str] = field(default_factory=list)  # widget views or state in the page


_COLLECT_JS = r"""
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
  // What a reader sees. Math (typeset or not), code, scripts are not prose.
  let readable = "";
  if (article) {
    const copy = article.cloneNode(true);
    copy.querySelectorAll("pre, code, script, style, textarea, mjx-container, .math, "
                          + "mjx-assistive-mml").forEach(e => e.remove());
    readable = copy.textContent;
  }
  const column = article ? article.getBoundingClientRect() : null;
  const describe = e => {
    const r = e.getBoundingClientRect();
    return {kind: e.tagName.toLowerCase() + (typeof e.className === "string" && e.className
                  ? "." + e.className.trim().split(/\s+/)[0] : ""),
            scrollWidth: e.scrollWidth, clientWidth: e.clientWidth,
            width: Math.round(r.width), column: column ? Math.round(column.width) : 0,
            overhang: column ? Math.round(r.right - column.right) : 0,
            text: e.textContent.trim().replace(/\s+/g, " ").slice(0, 70)};
  };
  // Shown to a reader: laid out, and not inside a closed <details> (a hide-input cell, a
  // dropdown). Chromium lays out a closed <details>' content when asked for its size, so the
  // width alone does not tell.
  const inClosedDetails = e => {
    for (let d = e.closest("details:not([open])"); d;
         d = d.parentElement && d.parentElement.closest("details:not([open])")) {
      const summary = d.querySelector(":scope > summary");
      if (!(summary && summary.contains(e))) return true;
    }
    return false;
  };
  const visible = e => e.getBoundingClientRect().width > 0 && !inClosedDetails(e);
  // The nearest ancestor (inside the article) that scrolls or clips, when its content is wider
  // than it: the element itself may fit its own box (a table grows with its cells) while a
  // notebook's output area cuts it or makes the reader scroll.
  const overflowingBox = e => {
    for (let a = e.parentElement; a && a !== article; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") {
        return a.scrollWidth > a.clientWidth + 1 ? a : null;
      }
    }
    return null;
  };
  const wide = [];
  if (article) {
    for (const e of article.querySelectorAll(
        "table, div.math, mjx-container[display='true'], .pst-scrollable-table-container")) {
      if (!visible(e)) continue;
      const d = describe(e);
      const box = overflowingBox(e);
      if (box) {
        d.scrollWidth = box.scrollWidth;
        d.clientWidth = box.clientWidth;
      }
      if (e.scrollWidth > e.clientWidth + 1 || d.overhang > 1 || box) wide.push(d);
    }
  }
  const cells = article ? Array.from(article.querySelectorAll("div.cell")) : [];
  const where = e => {
    const cell = e.closest("div.cell");
    const part = e.closest(".cell_output") ? "output" : e.closest(".cell_input") ? "input"
                 : "other";
    return {part: part, cell: cell ? cells.indexOf(cell) + 1 : 0, cells: cells.length,
            cellText: cell ? (cell.querySelector(".cell_input pre") || cell).textContent.trim()
                             .replace(/\s+/g, " ").slice(0, 50) : ""};
  };
  const codeScroll = article ? Array.from(article.querySelectorAll("pre"))
      .filter(e => visible(e) && e.scrollWidth > e.clientWidth + 1)
      .map(e => Object.assign(describe(e), where(e))) : [];
  // Elements of a cell's input or output areas whose content is wider than their box:
  // scrollWidth > clientWidth + 1 (a <pre> or an output area that scrolls or clips, a table that
  // spills). Only the innermost of nested ones is kept: that is the one that scrolls.
  // A <pre> is measured with its lines unwrapped (white-space: pre): the book's CSS wraps long
  // lines at the column (_static/readable.css), which hides them from scrollWidth but shows the
  // reader a continuation line at column 0 that reads like the next line of code.
  const unwrappedOverflow = e => {
    if (e.tagName !== "PRE") return e.scrollWidth > e.clientWidth + 1;
    const [space, wrap] = [e.style.whiteSpace, e.style.overflowWrap];
    e.style.whiteSpace = "pre";
    e.style.overflowWrap = "normal";
    const over = e.scrollWidth > e.clientWidth + 1;
    const width = e.scrollWidth;
    [e.style.whiteSpace, e.style.overflowWrap] = [space, wrap];
    if (over) e.dataset.unwrappedWidth = width;
    return over;
  };
  const scrolling = selector => {
    if (!article) return [];
    const found = [];
    for (const area of article.querySelectorAll(selector)) {
      for (const e of [area, ...area.querySelectorAll("div, pre, table")]) {
        const display = getComputedStyle(e).display;
        if (display === "inline" || display === "contents" || !e.clientWidth) continue;
        if (visible(e) && unwrappedOverflow(e)) found.push(e);
      }
    }
    return found.filter(e => !found.some(o => o !== e && e.contains(o)))
                .map(e => Object.assign(describe(e), where(e), e.dataset.unwrappedWidth
                     ? {scrollWidth: Number(e.dataset.unwrappedWidth),
                        wraps: getComputedStyle(e).whiteSpace !== "pre",
                        longest: e.textContent.split("\n").reduce(
                          (a, b) => b.length > a.length ? b : a, "")} : {}));
  };
  const outputScroll = scrolling(".cell_output");
  const inputScroll = scrolling(".cell_input");
  // Matplotlib writes its dpi into the PNG (pHYs chunk, pixels per metre).
  const pngDpi = async url => {
    try {
      const view = new DataView(await (await fetch(url)).arrayBuffer());
      if (view.byteLength < 8 || view.getUint32(0) !== 0x89504e47) return null;
      for (let i = 8; i + 8 <= view.byteLength;) {
        const n = view.getUint32(i);
        const type = String.fromCharCode(...[4, 5, 6, 7].map(k => view.getUint8(i + k)));
        if (type === "pHYs") {
          return view.getUint8(i + 16) === 1 ? view.getUint32(i + 8) * 0.0254 : null;
        }
        if (type === "IDAT") return null;
        i += 12 + n;
      }
    } catch (err) { return null; }
    return null;
  };
  const figures = [];
  for (const img of imgs) {
    const src = img.currentSrc || img.src;
    if (!/\.png($|\?)/i.test(src) || !visible(img)) continue;
    figures.push({src: src, natural: img.naturalWidth,
                  displayed: img.getBoundingClientRect().width, dpi: await pngDpi(src)});
  }
  const stderr = article ? Array.from(article.querySelectorAll(
      ".output.stderr, .output_stderr, [data-mime-type='application/vnd.jupyter.stderr']"),
      e => e.textContent.trim()) : [];
  const widgets = Array.from(document.querySelectorAll(
      "script[type^='application/vnd.jupyter.widget'], .jupyter-widgets, .widget-area"),
      e => (e.getAttribute("type") || e.className) + ": " + e.textContent.trim().slice(0, 80));
  return {
    readable: readable,
    wide: wide,
    codeScroll: codeScroll,
    outputScroll: outputScroll,
    inputScroll: inputScroll,
    figures: figures,
    stderr: stderr,
    widgets: widgets,
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


def visit_page(context, base_url: str, origin: str, docname: str,
               screenshot: bool = True) -> PageReport:
    """Load ``docname`` in a new page of ``context`` (whose viewport sets the width) and
    record what the checks need; a full-page screenshot unless ``screenshot`` is false."""
    report = PageReport(docname=docname, url=f"{base_url}{docname}.html")
    page = context.new_page()
    report.viewport = (page.viewport_size or VIEWPORT)["width"]

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
    report.text = found["readable"]
    report.wide = found["wide"]
    report.code_scroll = found["codeScroll"]
    report.output_scroll = found["outputScroll"]
    report.input_scroll = found["inputScroll"]
    report.figures = found["figures"]
    report.stderr = found["stderr"]
    report.widgets = found["widgets"]

    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        report.screenshot = SCREENSHOTS / f"{Path(docname).name}.png"
        page.screenshot(path=str(report.screenshot), full_page=True)
    page.close()
    return report


