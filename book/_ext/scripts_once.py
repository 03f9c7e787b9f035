"""Sphinx extension: write every inline ``<script>`` of a page once.

Sphinx 7.4 registers a script that an extension adds after the builder started (as
sphinx-thebe and sphinx-togglebutton do) twice: once with the file name ``None`` and once with
``""``, which do not compare equal. The page then declares sphinx-thebe's
``const THEBE_JS_URL`` twice and the browser throws ``SyntaxError: Identifier 'THEBE_JS_URL'
has already been declared`` on every page. This extension drops the second copy.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (str(filename), getattr(script, "priority", 0), tuple(sorted(attributes.items())))


def _drop_duplicates(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app) -> dict[str, Any]:
    app.connect("html-page-context", _drop_duplicates, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
