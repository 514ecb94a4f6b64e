"""Engine, units of work and migrations of the case database.

`python -m bot.cases.db` brings the database of CASES_DATABASE_URL (or the default
SQLite file) to the latest migration.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'cases.db'}"
MIGRATIONS = Path(__file__).resolve().with_name("migrations")


def database_url() -> str:
    return os.environ.get("CASES_DATABASE_URL") or DEFAULT_URL


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite's own BEGIN handling breaks SAVEPOINT (releasing one can commit the whole
    # transaction), so SQLAlchemy's documented recipe: turn it off, emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # Take the write lock up front: concurrent units of work then wait for each other
    # (busy timeout) instead of failing with "database is locked" when upgrading a read lock.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def missing_sqlite_file(url: str | URL) -> bool:
    """True for a SQLite database whose file does not exist yet: readers check this first,
    since connecting would create an empty file where nobody has written anything."""
    parsed = make_url(url)
    return (parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
            and not Path(parsed.database).exists())


def make_engine(url: str | None = None) -> Engine:
    parsed = make_url(url or database_url())
    # hide_parameters: statement parameters (names, phones, e-mails) stay out of SQLAlchemy's
    # log lines and out of the text of its exceptions.
    engine = create_engine(parsed, future=True, pool_pre_ping=True, hide_parameters=True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration for running commands on `connection` (no alembic.ini).

    A new revision: `command.revision(alembic_config(conn), message, autogenerate=True)`
    with a connection to a database at the current head.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    # On the DBAPI connection: SQLAlchemy would begin a transaction first, and SQLite
    # ignores a change of foreign_keys inside one.
    cursor = connection.connection.cursor()
    cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for Alembic commands.

    On SQLite, batch mode rebuilds a table by dropping it, which SQLite refuses while rows
    of other tables refer to it: foreign keys are off meanwhile, and checked before commit.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            _sqlite_pragma(connection, "foreign_keys = OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows that refer to missing rows")
        finally:
            if sqlite:
                _sqlite_pragma(connection, "foreign_keys = ON")


def migrate(url: str | None = None) -> None:
    """Upgrade the database at `url` (default: database_url()) to the latest revision."""
    engine = make_engine(url)
    try:
        with migration_connection(engine) as connection:
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()


class OutdatedDatabase(RuntimeError):
    """The database is not at the latest revision."""


def require_latest(engine: Engine) -> None:
    """Raise OutdatedDatabase unless the database is at the latest revision: maintenance
    commands refuse to work on a schema they do not know, and leave migrating to `make migrate`."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if current != head:
        raise OutdatedDatabase(f"the case database is at revision {current}, not {head}: "
                               "run `make migrate` first")


class CaseStore:
    """Hands out units of work on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Objects stay readable after commit: callers read the filed ticket afterwards.
        self._sessions = sessionmaker(engine, future=True, expire_on_commit=False)

    @classmethod
    def from_env(cls) -> CaseStore:
        return cls(make_engine())

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One session and transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session


def _main() -> None:
    url = database_url()
    migrate(url)
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"case database at the latest revision: {shown}")


if __name__ == "__main__":
    _main()
