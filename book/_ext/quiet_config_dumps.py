"""Sphinx extension: drop the full configuration dumps of MyST-Parser and MyST-NB from the log.

At ``builder-inited`` myst-parser logs ``myst v3.0.1: MdParserConfig(...)`` and myst-nb
``myst-nb v1.4.0: NbParserConfig(...)``, each one line of several thousand characters, at
INFO level and without an option to turn them off. This extension filters exactly those two
records (a record whose message holds ``MdParserConfig(`` or ``NbParserConfig(``) out of
the two loggers that write them; every other message, warnings included, is untouched.
"""

from __future__ import annotations

import logging
from typing import Any

LOGGERS = ("sphinx.myst_parser.sphinx_ext.main", "sphinx.myst_nb.sphinx_ext")
DUMPS = ("MdParserConfig(", "NbParserConfig(")


class _DropConfigDumps(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to judge
            return True
        return not any(dump in message for dump in DUMPS)


def setup(app: Any) -> dict[str, Any]:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropConfigDumps) for f in logger.filters):
            logger.addFilter(_DropConfigDumps())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
