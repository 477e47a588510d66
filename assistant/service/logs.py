"""Log hygiene: request lines are logged without their query strings.

Query parameters can carry a title, a client code or a speaker's name (the JSON
upload takes its options there), and nothing a clinician types belongs in a log.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class StripQuery(logging.Filter):
    """Drop '?...' from the path in uvicorn's access records (args[2] is the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def install_log_filters() -> None:
    """Add the filter once per process (apps built in tests share the logger)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, StripQuery) for f in logger.filters):
        logger.addFilter(StripQuery())
