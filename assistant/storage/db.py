"""Engine, sessions and migrations for one database URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import StorageError, ValidationError

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ENGINE_LOGGER = "sqlalchemy.engine.Engine"


class _NoRows(logging.Filter):
    """SQLAlchemy logs every result row at DEBUG ('Row %r', 'Col %r'); rows hold
    transcript text, so they never reach a log, whatever the level."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(("Row ", "Col ")))


def _quiet_rows() -> None:
    engine_logger = logging.getLogger(ENGINE_LOGGER)
    if not any(isinstance(f, _NoRows) for f in engine_logger.filters):
        engine_logger.addFilter(_NoRows())


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers work while a writer commits; foreign keys make deletes cascade.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts the file; it skips an fsync per commit (a power
    # cut may lose the last commits), which is most of a chat message's write time.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten, not left in free pages (some builds default to off).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    """One database: its engine, a session factory, and schema migration."""

    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite and ":///" in url and not url.endswith(":memory:"):
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        _quiet_rows()
        # hide_parameters: SQL logging (DEBUG) and error strings never show transcript text.
        kwargs: dict = {"pool_pre_ping": True, "hide_parameters": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as error:
            raise StorageError(
                f"the database at {self.safe_url} is unavailable: {error.orig}"
            ) from error

    @property
    def safe_url(self) -> str:
        """The URL without a password, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as error:
            session.rollback()
            raise StorageError("the database is unavailable; retry in a few seconds") from error
        except (DataError, OverflowError) as error:
            # A value the database cannot hold (too long for its column, a number out of
            # range, a NUL character): a refusal of the request, not a server failure.
            session.rollback()
            raise ValidationError(
                "a value is too long, out of range, or holds a character (such as NUL) "
                "the database cannot store"
            ) from error
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True) -> Database:
    database = Database(url)
    if migrate:
        database.migrate()
    logger.info("database ready: %s", database.safe_url)
    return database
