"""The ``alliance`` command line: thin commands over the core (spaCy's ``cli/`` style).

Each module registers its commands on ``app``; they check arguments and call plain
functions in the package. Errors the project raises become one line on stderr and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import logging
import sys

from assistant.cli import (  # noqa: F401  (registers commands)
    agree,
    calibrate,
    code,
    drill,
    evaluate,
    parse,
    report,
    serve,
    train,
    users,
    version,
)
from assistant.cli.app import app
from assistant.errors import AllianceError

__all__ = ["app", "main"]


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except AllianceError as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
