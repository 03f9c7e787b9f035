"""Sphinx extension: the bibliography's labels in the author–year form the chapters cite.

sphinxcontrib-bibtex cites in the text by author and year (``bibtex_reference_style:
author_year``), but its entries carry the labels of the pybtex *formatting* style, and the
styles pybtex ships label by number (``plain``) or by initials (``alpha``). This extension
registers a label style, ``author_year`` ("Bousquet et al. 2017", "Kingma and Welling 2014"),
and a formatting style, ``plain_author_year`` (pybtex's ``plain`` with those labels), for
``bibtex_default_style`` in ``_config.yml``.
"""

from __future__ import annotations

from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person: Any) -> str:
    # "Kynk{\"a}{\"a}nniemi" -> "Kynkäänniemi": the rendered last name, braces and accents
    return "".join(str(part.render_as("text")) for part in [person.rich_last_names[0]]) \
        if person.rich_last_names else ""


class AuthorYearLabels(BaseLabelStyle):
    """Labels "A 2019", "A and B 2014", "A et al. 2017"; a repeated label gets a, b, ..."""

    def format_labels(self, sorted_entries: Any) -> Any:
        labels = []
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_surname(p) for p in people]
            who = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}"
                   if len(names) == 2 else f"{names[0]} et al." if names else entry.key)
            labels.append(f"{who} {entry.fields.get('year', 'n.d.')}")
        seen: dict[str, int] = {}
        for label in labels:
            seen[label] = seen.get(label, 0) + 1
        count: dict[str, int] = {}
        for label in labels:
            if seen[label] > 1:
                count[label] = count.get(label, 0) + 1
                yield f"{label}{'abcdefghij'[count[label] - 1]}"
            else:
                yield label


class PlainAuthorYear(PlainStyle):
    """pybtex's ``plain`` formatting, with :class:`AuthorYearLabels`."""

    default_label_style = "author_year"


def setup(app: Any) -> dict[str, Any]:
    register_plugin("pybtex.style.labels", "author_year", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "plain_author_year", PlainAuthorYear)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
