"""Storage through SQLAlchemy: SQLite by default, PostgreSQL when configured.

Data access lives in plain functions (``users``, ``transcripts``, ``chat``, ``drills``
modules) that take a ``Session`` and never import FastAPI. Every function that reads
by id takes the caller's user id and raises ``NotFoundError`` for objects the caller
does not own, so isolation is enforced here once, not in each route.
"""

from assistant.storage.db import Database, open_database

__all__ = ["Database", "open_database"]
