"""Numbers in the prose come from the run: a guard against prose that drifts from the outputs.

Every number a run produces is inserted into a markdown cell with MyST-NB's ``glue``, from the
cell that computed it (issue 25)::

    glue("ch3_seconds", seconds, display=False)        # in the code cell
    The three runs took {glue:text}`ch3_seconds:.0f` s.  # in the markdown cell

This test reads the markdown cells of ``book/*.ipynb`` (with nbformat) and ``book/intro.md`` and
fails on three kinds of hand-typed numbers:

timing
    A number followed by a unit of time (``50 s``, ``18.7s``, ``2 minutes``, ``10 ms``,
    ``3 h``), or a duration in words (``half a minute``, ``a minute``, ``about a second``,
    ``twenty seconds``, ``a few minutes``). A timing differs from machine to machine and run
    to run: glue the measured one or drop it. Vague words without a quantity (``in
    seconds``, ``in minutes``) are not timings; ``a second`` counts only where it is a
    duration (``under a second``, ``about a second)``), not an ordinal (``a second joint``).
step count
    A number (thousands separators allowed: ``2,500``) directly followed by ``steps`` or
    ``updates``, optionally with one qualifier (``300 training steps``, ``5 critic updates``),
    or a compound ``50-step``, that is not a step count of :mod:`vegan_lib.recipes`: the
    quick and full ``steps`` of every recipe of ``RECIPES`` (``recipes.settings(name,
    full=...)``); a critic/discriminator/adversary count must be an ``adversary_steps``.
λ
    ``λ = 10``, ``$\\lambda = 200$``, ``lambda = 20``, ``\\lambda_{\\mathrm{AAE}} = 5``
    whose value is not a λ that ``recipes.py`` holds (the options ``lam``, ``lam_aae`` and
    ``gp_weight`` of every recipe, and ``Recipe.lam_pot``), nor on the short allow-list of
    sweeps below (:data:`SWEEP_LAMBDAS`). A value that is an expression (``λ = 2\\sigma^2
    \\lambda_{\\mathrm{AAE}}``, ``λ = 10^3``, ``λ = 1/2``) is not a value and is skipped.

Skipped: code spans and every MyST role with its content (``{glue:text}`name:.1f```,
``{glue}`name```, ``{glue:}``, ``{glue:any}``, ``{glue:md}``; ``{ref}``, ``{py:data}``: a
role's content is a name, not prose), code fences (```` ``` ````, ``{code-cell}``,
``{math}``, the ``{glue:...}`` directives), HTML comments and link targets. Math (``$…$``,
``$$…$$``, ``\\(…\\)``, ``\\[…\\]``, ``\\begin{…}…\\end{…}``) is skipped for timings and step
counts, and searched for λ. Prose directives (``{note}``, ``{prf:theorem}``, ``:::``
fences...) are prose and searched.

The detector is tested first on small strings (``test_detector_*``), so that the chapter
tests cannot pass by finding nothing.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
SOURCES = sorted(BOOK.glob("*.ipynb")) + [BOOK / "intro.md"]

FIX = (
    "glue the number from the cell that computed it: `glue(\"name\", value, display=False)` "
    "(from myst_nb import glue) in the code cell and {glue:text}`name:.1f` in the markdown; "
    "or drop the number"
)

# λ values that chapters use outside the recipes, for sweeps the text states as such. Keep it
# short: a λ of a trained model belongs in vegan_lib/recipes.py. Per notebook (stem).
SWEEP_LAMBDAS: dict[str, frozenset[float]] = {
    # Chapter 4 sweeps σ² ∈ {0.01, 0.1, 1} at λ_AAE = 5, so λ = 2σ²λ_AAE ∈ {0.1, 1, 10}.
    "04_aae_equivalence": frozenset({5.0, 0.1}),
    # Chapter 6's critic explorer grid: gradient penalties λ_GP ∈ {0.1, 1, 10, 100}.
    "06_wgan_duality": frozenset({0.1, 100.0}),
}

# ----------------------------------------------------------------- what the recipes hold


@functools.cache
def recipe_steps() -> frozenset[int]:
    """Quick and full ``steps`` of every recipe of :data:`vegan_lib.recipes.RECIPES`."""
    from vegan_lib import recipes

    return frozenset(recipes.settings(name, full=full)["steps"]
                     for name in recipes.RECIPES for full in (False, True))


@functools.cache
def recipe_adversary_steps() -> frozenset[int]:
    """Quick and full ``adversary_steps`` (critic or discriminator updates per step)."""
    from vegan_lib import recipes

    return frozenset(recipes.settings(name, full=full).get("adversary_steps", 1)
                     for name in recipes.RECIPES for full in (False, True))


@functools.cache
def recipe_lambdas() -> frozenset[float]:
    """Every λ of ``recipes.py``: options ``lam``, ``lam_aae``, ``gp_weight``; ``lam_pot``."""
    from vegan_lib import recipes

    values: set[float] = set()
    for r in recipes.RECIPES.values():
        for key in ("lam", "lam_aae", "gp_weight"):
            if r.options.get(key) is not None:
                values.add(float(r.options[key]))
        if r.lam_pot is not None:
            values.add(float(r.lam_pot))
    return frozenset(values)


# ----------------------------------------------------------------- markdown without non-prose

_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(.*?)\s*$")
# Fenced blocks whose content is not prose: code, math, raw output, glue directives.
_NON_PROSE_DIRECTIVES = re.compile(
    r"^\{(code|code-block|code-cell|sourcecode|math|raw|eval-rst|literalinclude|glue[:\w]*)\}")
_OPTION_LINE = re.compile(r"^\s*:[\w-]+:(\s.*)?$")  # a directive's ":label: x"
_TARGET_LINE = re.compile(r"^\s*\([\w:.-]+\)=\s*$")  # MyST target "(label)="
_CODE_SPAN = re.compile(r"(\{[\w:.+-]*\})?(`+)(?!`)(.+?)(?<!`)\2(?!`)", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_LINK_TARGET = re.compile(r"\]\([^()\s]*(?:\([^()\s]*\))?[^()\s]*\)")
_AUTOLINK = re.compile(r"<https?://[^>]+>|https?://\S+")
_MATH = re.compile(
    r"\$\$.+?\$\$"  # display
    r"|(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?\$"  # inline $…$ (not \$)
    r"|\\\(.+?\\\)|\\\[.+?\\\]"
    r"|\\begin\{(?P<env>[A-Za-z*]+)\}.*?\\end\{(?P=env)\}",
    re.S,
)

CODE, GLUE, ROLE, MATH = "‹code›", "‹glue›", "‹role›", "‹math›"


def _drop_fenced_code(text: str) -> str:
    """``text`` without fenced code/math blocks; prose directives keep their content."""
    out: list[str] = []
    stack: list[tuple[str, int, bool]] = []  # fence char, length, is code
    for line in text.split("\n"):
        m = _FENCE.match(line)
        in_code = bool(stack) and stack[-1][2]
        if m:
            fence, info = m.group(1), m.group(2)
            top = stack[-1] if stack else None
            closes = (top is not None and not info and fence[0] == top[0]
                      and len(fence) >= top[1])
            if closes:
                stack.pop()
                out.append("")
                continue
            if not in_code:
                is_code = fence[0] != ":" and (not info.startswith("{")
                                               or bool(_NON_PROSE_DIRECTIVES.match(info)))
                stack.append((fence[0], len(fence), is_code))
                out.append("")
                continue
        if in_code or _OPTION_LINE.match(line) or _TARGET_LINE.match(line):
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def _span(m: re.Match) -> str:
    role = m.group(1)
    if role is None:
        return CODE
    return GLUE if role.startswith("{glue") else ROLE


def prose(text: str, keep_math: bool = False) -> str:
    """The prose of a markdown cell: no code, roles (glue included), comments, link targets;
    math replaced by a placeholder unless ``keep_math``. Line breaks are kept."""
    text = _drop_fenced_code(text)
    text = _HTML_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    text = _CODE_SPAN.sub(_span, text)
    text = text.replace("\\$", "USD")
    if not keep_math:
        text = _MATH.sub(MATH, text)
    text = _LINK_TARGET.sub("]", text)
    text = _AUTOLINK.sub(" ", text)
    return _HTML_TAG.sub(" ", text)


# ----------------------------------------------------------------- the three detectors

_NUM = r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d,]*\d)"
_TIME_UNIT = r"(?:ms|milliseconds?|s|secs?|seconds?|min|mins|minutes?|h|hrs?|hours?)"
_TIMING_NUMBER = re.compile(_NUM + r"(\s?)" + _TIME_UNIT + r"(?![\w\d])")
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    "forty|fifty|sixty|ninety|hundred"
)
_QTY_TOKEN = rf"(?:half|quarter|couple|of|a|an|few|several|dozen|{_NUMBER_WORDS})"
_TIMING_WORDS = re.compile(
    rf"\b((?:{_QTY_TOKEN}[\s-]+){{1,4}})"
    r"(milliseconds?|seconds?|minutes?|hours?)\b",
    re.I,
)
_DURATION_CUE = re.compile(
    r"\b(about|around|under|over|within|than|roughly|nearly|almost|just|only|takes?|took|"
    r"taking|in|for|of)\s+$", re.I)

_STEP_QUALIFIER = (r"(?:training|generator|decoder|encoder|gradient|optimi[sz]er|Adam|SGD|"
                   r"more|further|extra|(?P<adv>critic|discriminator|adversary))")
_STEPS = re.compile(
    r"(?<![\w.,\-])(\d{1,3}(?:,\d{3})+|\d+)(?![\d.,]*\d)"
    rf"(?:\s+(?:{_STEP_QUALIFIER}\s+)?(?:steps|updates)\b|-steps?\b)"
)

_LAMBDA = re.compile(
    r"(?:\\lambda(?![A-Za-z])|λ|(?<![\\A-Za-z])lambda(?![A-Za-z]))"
    r"(?P<sub>_\{(?:[^{}]|\{[^{}]*\})*\}|_\\?[A-Za-z]+|_\w|[₀-₉]+)?"
    r"\s*(?:\\[,;:!]\s*|~\s*)*=\s*(?:\\[,;:!]\s*|~\s*)*\{?"
    r"(?P<value>-?\d+(?:\.\d+)?)"
)
# After a λ's number: a product, power or fraction (2\sigma^2, 2σ², 10^3, 1/2) is an expression,
# not a value. TeX spacing and relations after the number are not.
_SEPARATORS = {"quad", "qquad", "text", "mathrm", "le", "leq", "ge", "geq", "approx", "in",
               "end", "right", "rangle", "rbrace", "mbox", "textrm"}


def _is_expression(tail: str) -> bool:
    if tail[:1] and (tail[0].isalpha() or tail[0] in "²³^_([{·×*"):
        return True
    rest = tail.lstrip(" ~")
    if rest[:1] and rest[0] in "·×*^/":
        return True
    command = re.match(r"\\([A-Za-z]+)", rest)
    return bool(command) and command.group(1) not in _SEPARATORS


@dataclass(frozen=True)
class Finding:
    kind: str  # "timing", "step count", "λ"
    text: str  # the offending text (line breaks as spaces)
    context: str  # a few words around it
    line: int  # line of the cell (1-based)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", " ".join(self.text.split()))


def _context(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 40): end + 30].split())


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def find_timings(markdown: str) -> list[Finding]:
    text = prose(markdown)
    found = []
    for m in _TIMING_NUMBER.finditer(text):
        number, unit_gap = m.group(1), m.group(3)
        unit = m.group()[m.end(3) - m.start():]
        if unit == "s" and not unit_gap and len(number) == 4 and not m.group(2):
            continue  # a decade: the 1990s
        found.append(Finding("timing", m.group(), _context(text, m.start(), m.end()),
                             _line(text, m.start())))
    for m in _TIMING_WORDS.finditer(text):
        words = list(re.finditer(r"[A-Za-z]+", m.group(1)))
        while words and words[0].group().lower() == "of":  # "the number of seconds"
            words.pop(0)
        if not words:
            continue
        tokens = [w.group().lower() for w in words]
        start = m.start(1) + words[0].start()
        unit = m.group(2).lower()
        if unit == "second" and set(tokens) <= {"a", "one", "of"}:
            # "a second" is a duration ("under a second", "about a second)"), or an ordinal
            # ("a second joint distribution"): a duration is cued or ends the phrase.
            cued = _DURATION_CUE.search(text[max(0, start - 20): start])
            ends = not re.match(r"\s+[A-Za-z]", text[m.end():])
            if not (cued or ends):
                continue
        found.append(Finding("timing", text[start: m.end()], _context(text, start, m.end()),
                             _line(text, start)))
    return sorted(found, key=lambda f: f.line)


def find_step_counts(markdown: str, allowed: frozenset[int] | None = None,
                     allowed_adversary: frozenset[int] | None = None) -> list[Finding]:
    allowed = recipe_steps() if allowed is None else allowed
    allowed_adversary = recipe_adversary_steps() if allowed_adversary is None \
        else allowed_adversary
    text = prose(markdown)
    found = []
    for m in _STEPS.finditer(text):
        value = int(m.group(1).replace(",", ""))
        if value in (allowed_adversary if m.group("adv") else allowed):
            continue
        found.append(Finding("step count", m.group(), _context(text, m.start(), m.end()),
                             _line(text, m.start())))
    return found


def _is_allowed(value: float, allowed: frozenset[float]) -> bool:
    return any(math.isclose(value, a, rel_tol=1e-9, abs_tol=1e-12) for a in allowed)


def find_lambdas(markdown: str, allowed: frozenset[float] | None = None) -> list[Finding]:
    allowed = recipe_lambdas() if allowed is None else allowed
    text = prose(markdown, keep_math=True)
    found = []
    for m in _LAMBDA.finditer(text):
        if _is_expression(text[m.end():]):
            continue
        if _is_allowed(float(m.group("value")), allowed):
            continue
        found.append(Finding("λ", m.group(), _context(text, m.start(), m.end()),
                             _line(text, m.start())))
    return found


DETECTORS = {
    "timing": lambda md, stem: find_timings(md),
    "step count": lambda md, stem: find_step_counts(md),
    "λ": lambda md, stem: find_lambdas(md, recipe_lambdas() | SWEEP_LAMBDAS.get(stem,
                                                                             frozenset())),
}


# ----------------------------------------------------------------- the book's markdown

def markdown_cells(path: Path) -> list[tuple[str, str]]:
    """(where, source) of each markdown cell: ``cell 12`` in a notebook, the whole file of a
    markdown page (``where`` is empty; findings give its line)."""
    if path.suffix == ".md":
        return [("", path.read_text(encoding="utf-8"))]
    nb = nbformat.read(path, as_version=4)
    return [(f"cell {i}", cell.source) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "markdown"]


def book_findings(path: Path, kind: str) -> list[str]:
    out = []
    for where, source in markdown_cells(path):
        for f in DETECTORS[kind](source, path.stem):
            place = f"{where}, line {f.line}" if where else f"line {f.line}"
            out.append(f"{path.relative_to(ROOT)} {place}: “{f.text}” in “…{f.context}…”")
    return out


_WHY = {
    "timing": "hand-typed timing(s) in the prose (they differ per machine and run)",
    "step count": "hand-typed step count(s) that vegan_lib.recipes does not hold "
                  "(it holds {steps})",
    "λ": "hand-typed λ value(s) that vegan_lib/recipes.py does not hold (it holds {lams}; "
         "sweeps allowed per chapter: SWEEP_LAMBDAS)",
}


@pytest.mark.parametrize("kind", list(DETECTORS))
@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_hand_typed_numbers_in_the_prose(path, kind):
    assert path.is_file(), path
    found = book_findings(path, kind)
    why = _WHY[kind].format(steps=sorted(recipe_steps()),
                            lams=sorted(recipe_lambdas()))
    assert not found, (f"{path.name}: {len(found)} {why}:\n" + "\n".join(found)
                       + f"\nFix: {FIX}.")


def test_the_book_has_markdown_to_check():
    assert len(SOURCES) >= 9, SOURCES
    for path in SOURCES:
        assert any(source.strip() for _, source in markdown_cells(path)), path


# ----------------------------------------------------------------- the detector itself

def test_the_recipes_hold_what_the_chapters_cite():
    steps, lams = recipe_steps(), recipe_lambdas()
    assert {300, 1000, 10_000} <= steps, steps  # MNIST and toy quick, toy full
    assert {0.0, 1.0, 10.0, 20.0, 200.0} <= lams, lams
    assert 2.0 in lams  # the AAE's lam_pot = 2σ²λ_AAE with σ² = 1, λ_AAE = 1
    for values in SWEEP_LAMBDAS.values():
        assert not values & lams, "an allow-listed λ that recipes.py holds: drop it"


@pytest.mark.parametrize("markdown, expected", [
    ("It takes about 50 s on a laptop.", "50 s"),
    ("The runs take 18.5 + 21.5 + 18.7s in all.", "18.7s"),
    ("about 2 minutes", "2 minutes"),
    ("10 ms per step", "10 ms"),
    ("a 3 h run", "3 h"),
    ("about 90 min on 2 cores", "90 min"),
    ("roughly 1,200 seconds", "1,200 seconds"),
    ("under 35\u00a0s", "35 s"),  # a no-break space
    ("**Time to run**: about half a minute on a two-core CPU", "half a minute"),
    ("about a minute in quick mode", "a minute"),
    ("about twenty seconds", "twenty seconds"),
    ("about ten seconds on a laptop", "ten seconds"),
    ("a few minutes with a GPU", "a few minutes"),
    ("The grid is solved again (about a second);", "a second"),
    ("once, when it is built (under a second), and", "a second"),
    ("five seconds", "five seconds"),
    ("twenty-five seconds", "twenty-five seconds"),
    ("an hour on a CPU", "an hour"),
    ("in a fraction of a second.", "a second"),
    ("> **Note** inside a quote: 40 s", "40 s"),
    ("```{note}\nThe fit takes 12 s.\n```", "12 s"),
])
def test_detector_finds_a_timing(markdown, expected):
    found = find_timings(markdown)
    assert [f.text for f in found] == [expected], found


@pytest.mark.parametrize("markdown", [
    "The runs took {glue:text}`ch3_seconds:.1f` s in all.",
    "about {glue:}`minutes` minutes",
    "about {glue}`ch5_total` seconds",
    "code `time.sleep(5) # 5 s` is code",
    "```python\nt = 50  # 50 s\n```",
    "```{code-cell} ipython3\n# 3 minutes\n```",
    "math $t = 5 s$ is math and $$T = 3 h$$",
    "A second joint distribution of $(X, Z)$ couples them.",
    "The second half of the proof",
    "in seconds, its accuracy is printed",
    "which needs a GPU to finish in minutes.",
    "the number of seconds is printed",
    "the 1990s",
    "x has 5 states and 3 hidden layers",
    "<!-- about 50 s -->",
    "[link](https://example.org/10s)",
    "a minimum of 5 min_samples",
])
def test_detector_passes_what_is_no_timing(markdown):
    assert find_timings(markdown) == []


STEPS_HELD = frozenset({300, 1000, 2000, 10_000})
ADVERSARY_HELD = frozenset({1, 2, 5})


@pytest.mark.parametrize("markdown, expected", [
    ("Set `VEGAN_FULL=1` for 2,500 steps of 100 digits", "2,500 steps"),
    ("and 5,000 steps per AAE", "5,000 steps"),
    ("runs of 25 steps for the trajectories", "25 steps"),
    ("running means over 25 steps", "25 steps"),
    ("200 generator steps", "200 generator steps"),
    ("after 150 updates", "150 updates"),
    ("400 training steps", "400 training steps"),
    ("50-step trajectories", "50-step"),
    ("3 critic updates per generator update", "3 critic updates"),
    ("quick mode: 300 steps\nof 32 digits, full mode 2,500\nsteps", "2,500 steps"),
])
def test_detector_finds_a_step_count(markdown, expected):
    found = find_step_counts(markdown, STEPS_HELD, ADVERSARY_HELD)
    assert [f.text for f in found] == [expected], found


@pytest.mark.parametrize("markdown", [
    "quick mode runs 300 steps of 32 digits",
    "Set `VEGAN_FULL=1` for 10,000 steps per toy model and 2,000 steps of 100",
    "300 training steps of 32 digits",
    "5 critic updates per generator update",
    "after {glue:text}`ch4_steps:,d` steps",
    "`fit(steps=25)` runs `25 steps`",
    "$10^4$ steps",
    "100 epochs of 60,000 digits",
    "the first ten steps",
    "```python\nfit(model, steps=123)  # 123 steps\n```",
])
def test_detector_passes_step_counts_the_recipes_hold(markdown):
    assert find_step_counts(markdown, STEPS_HELD, ADVERSARY_HELD) == []


LAMS_HELD = frozenset({0.0, 1.0, 2.0, 10.0, 20.0, 200.0})


@pytest.mark.parametrize("markdown, expected", [
    ("with λ = 50 the codes", "λ = 50"),
    ("with $\\lambda = 100$ the codes", "\\lambda = 100"),
    ("lambda = 30 in plain words", "lambda = 30"),
    ("and $\\lambda_{\\mathrm{AAE}} = 5$ in the sweep", "\\lambda_{\\mathrm{AAE}} = 5"),
    ("$\\lambda_{\\mathrm{GP}} \\,=\\, 0.1$", "\\lambda_{\\mathrm{GP}} \\,=\\, 0.1"),
    ("λ_AAE = 3", "λ_AAE = 3"),
    ("$$\n\\lambda=0.5\n$$", "\\lambda=0.5"),
    ("($\\lambda = 0.1$ and $1$)", "\\lambda = 0.1"),
])
def test_detector_finds_a_lambda(markdown, expected):
    found = find_lambdas(markdown, LAMS_HELD)
    assert [f.text for f in found] == [expected], found


@pytest.mark.parametrize("markdown", [
    "WAE-MMD uses $\\lambda = 10$ and WAE-GAN $\\lambda = 1$.",
    "their $\\lambda = 10$ is $\\lambda = 10 / 0.05 = 200$ here",
    "$\\lambda = 2\\sigma^2\\lambda_{\\mathrm{AAE}}$",
    "$\\lambda = 2\\sigma^2 \\lambda_{\\mathrm{AAE}}$",
    "λ = 2σ²λ_AAE",
    "$\\lambda = \\Delta$ and $\\lambda = c = \\Delta$",
    "at $\\lambda = 0$ nothing ties them",
    "the penalty $\\lambda_{\\mathrm{GP}} = 10$",
    "`lam=50` is code",
    "$\\lambda = $ {glue:text}`ch3_lam:.0f`",
    "$\\lambda \\ge 1$ and $\\lambda \\in \\{0.1, 1, 10\\}$",
    "λ = 10^3",
    "λ = 1/2",
    "the Lambda function",
])
def test_detector_passes_lambdas_the_recipes_hold(markdown):
    assert find_lambdas(markdown, LAMS_HELD) == []


def test_the_prose_keeps_prose_directives_and_drops_code():
    text = prose("```{note}\nkept 1\n```\n```python\ndropped 2\n```\n:::{tip}\nkept 3\n:::\n"
                 "````{admonition} x\n```\ndropped 4\n```\nkept 5\n````")
    assert "kept 1" in text and "kept 3" in text and "kept 5" in text, text
    assert "dropped" not in text, text


def test_a_glue_role_is_skipped_whatever_its_form():
    # the roles myst-nb registers: glue, glue:, glue:any, glue:text, glue:md
    for role in ("{glue}", "{glue:}", "{glue:any}", "{glue:text}", "{glue:md}"):
        assert prose(f"took {role}`t:.1f` s") == f"took {GLUE} s"


def test_failure_messages_name_the_notebook_the_cell_and_the_fix(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_markdown_cell("The three runs take about 50 s.")]
    path = ROOT / "book" / "_probe_not_a_chapter.ipynb"
    monkeypatch.setattr(nbformat, "read", lambda p, as_version: nb)
    (found,) = book_findings(path, "timing")
    assert found.startswith("book/_probe_not_a_chapter.ipynb cell 1, line 1: “50 s”"), found
    assert "glue(" in FIX and "{glue:text}" in FIX
