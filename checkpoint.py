"""Where runs are checkpointed: one SQLite file per repository, or PostgreSQL.

A run pauses for approval and resumes later, maybe from another process or another
machine, so the checkpointer location is a user input like any other and is checked
at the edge: a malformed URL, an unreachable server or a corrupt SQLite file is a
``CheckpointError`` with one clear line, never a driver traceback.

Locations, first match wins:

- ``postgresql://...`` or ``postgres://...``: PostgreSQL through
  ``langgraph-checkpoint-postgres``;
- ``sqlite:///relative.sqlite``, ``sqlite:////absolute.sqlite`` or a plain path: a
  SQLite file there;
- nothing: the environment variable ``HEALLOOP_CHECKPOINTER``, else
  ``<repo>/.healloop/checkpoints.sqlite`` (the folder ignores itself in git).

The decisions store of later work (``open_store``) lives at the same location, so a
deployment has one database to back up.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from healloop.errors import CheckpointError
from healloop.locks import held

if TYPE_CHECKING:
    import psycopg
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.store.base import BaseStore
    from langgraph.store.sqlite import SqliteStore
    from psycopg.rows import DictRow

ENV_VAR = "HEALLOOP_CHECKPOINTER"
"""Environment variable naming the checkpointer when no flag does."""
STATE_DIR = ".healloop"
"""Folder under the repository for healloop's own files."""
DEFAULT_FILE = "checkpoints.sqlite"
"""SQLite file of the default location, inside ``STATE_DIR``."""
CONNECT_TIMEOUT = 5
"""Seconds to wait for a PostgreSQL server before calling it unreachable."""

Backend = Literal["sqlite", "postgres"]
_PG_SCHEMES = ("postgresql", "postgres")
_SETUP_LOCK = 0x6865_616C  # "heal": serialises schema migrations across processes


@dataclass(frozen=True)
class Location:
    """A resolved checkpointer location."""

    backend: Backend
    target: str
    """The SQLite file path, or the PostgreSQL connection URL."""

    def __str__(self) -> str:
        """Return the location for messages, with any password hidden."""
        return _redact(self.target) if self.backend == "postgres" else self.target


def resolve_location(url_or_path: str | None, repo: Path) -> Location:
    """Resolve a ``--checkpointer`` value (or its absence) to a location.

    Args:
        url_or_path: A PostgreSQL URL, a ``sqlite:///`` URL, a file path, or None for
            the environment variable or the repository default.
        repo: The repository of the run, home of the default SQLite file.

    Returns:
        The backend and its target; nothing is opened or created.

    Raises:
        CheckpointError: The value is a URL of an unknown scheme or has no path.

    """
    value = (url_or_path or os.environ.get(ENV_VAR) or "").strip()
    if not value:
        return Location("sqlite", str(Path(repo).resolve() / STATE_DIR / DEFAULT_FILE))
    scheme, sep, rest = value.partition("://")
    if not sep:
        return Location("sqlite", str(Path(value).expanduser().resolve()))
    scheme = scheme.lower()
    if scheme in _PG_SCHEMES:
        return Location("postgres", value)
    if scheme == "sqlite":
        # SQLAlchemy's form: sqlite:///relative.db and sqlite:////absolute.db.
        path = rest[1:] if rest.startswith("/") else ""
        if not path:
            raise CheckpointError(f"checkpointer URL {value!r} names no file: use sqlite:///PATH")
        return Location("sqlite", str(Path(path).expanduser().resolve()))
    raise CheckpointError(
        f"checkpointer URL {_redact(value)!r} has unknown scheme {scheme!r}: "
        "use postgresql://..., sqlite:///PATH or a file path"
    )


@contextmanager
def open_checkpointer(url_or_path: str | None, repo: Path) -> Iterator[BaseCheckpointSaver]:
    """Open the checkpointer of a run, ready to use, and close it on exit.

    Args:
        url_or_path: Where to checkpoint; see ``resolve_location``.
        repo: The repository of the run.

    Yields:
        A ``SqliteSaver`` or ``PostgresSaver`` whose tables exist.

    Raises:
        CheckpointError: The location is malformed, unreachable or corrupt.

    """
    from langgraph.checkpoint.postgres import PostgresSaver
    from langgraph.checkpoint.sqlite import SqliteSaver

    with _opened(url_or_path, repo, PostgresSaver, SqliteSaver) as saver:
        yield saver


@contextmanager
def open_store(url_or_path: str | None, repo: Path) -> Iterator[BaseStore]:
    """Open the long-term store at the checkpointer's location, and close it on exit.

    Args:
        url_or_path: Where to checkpoint; see ``resolve_location``.
        repo: The repository of the run.

    Yields:
        A ``SqliteStore`` or ``PostgresStore`` whose tables exist.

    Raises:
        CheckpointError: The location is malformed, unreachable or corrupt.

    """
    from langgraph.store.postgres import PostgresStore
    from langgraph.store.sqlite import SqliteStore

    with _opened(url_or_path, repo, PostgresStore, SqliteStore, autocommit=True) as store:
        yield store


@contextmanager
def _opened(
    url_or_path: str | None, repo: Path, postgres: Any, sqlite: Any, *, autocommit: bool = False
) -> Iterator[Any]:
    """Open a saver or store class on the resolved location, its tables set up."""
    location = resolve_location(url_or_path, repo)
    with ExitStack() as stack:
        if location.backend == "postgres":
            target = postgres(stack.enter_context(_connect_postgres(location)))
        else:
            target = sqlite(stack.enter_context(_connect_sqlite(location, autocommit=autocommit)))
        _setup(target, location)
        yield target


def _setup(target: BaseCheckpointSaver | BaseStore, location: Location) -> None:
    """Create or migrate the tables, turning driver errors into a CheckpointError."""
    if location.backend == "sqlite":
        from langgraph.store.sqlite import SqliteStore

        try:
            # langgraph reads the schema version, migrates, then records the version:
            # two first runs at once both record it and one fails on its primary key.
            db = Path(location.target)
            with held(db.with_name(db.name + ".setup-lock")):
                if isinstance(target, SqliteStore):
                    _migrate_in_one_transaction(target)
                else:
                    target.setup()  # type: ignore[union-attr]
        except sqlite3.DatabaseError as exc:
            raise CheckpointError(
                f"checkpointer {location} is not a usable SQLite file: {exc}"
            ) from None
        return
    import psycopg

    conn = target.conn  # type: ignore[union-attr]
    try:
        # Two processes migrating at once race on CREATE TABLE IF NOT EXISTS.
        conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
        try:
            target.setup()  # type: ignore[union-attr]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
    except psycopg.Error as exc:
        raise CheckpointError(
            f"checkpointer {location} cannot be set up: {_first_line(exc)}"
        ) from None


def _migrate_in_one_transaction(store: SqliteStore) -> None:
    """Run a SQLite store's migrations, and the record of them, as one transaction.

    ``SqliteStore.setup`` runs each migration with ``executescript``, which commits
    on its own, and records the migration after it: a run killed between the two left
    a column added and its migration unrecorded, and every later setup failed on it
    ("duplicate column name"), so no run of the repository could open again. SQLite
    rolls back schema changes with the rest, so the store's own setup runs here with
    its scripts executed statement by statement inside one transaction. (The saver's
    setup creates only what does not exist, and turns on WAL, which no transaction
    may do: it runs as it is.)
    """
    conn: sqlite3.Connection = store.conn
    store.conn = _InTransaction(conn)  # type: ignore[assignment]
    conn.execute("BEGIN IMMEDIATE")
    try:
        store.setup()
    except BaseException:
        conn.rollback()
        raise
    else:
        conn.commit()
    finally:
        store.conn = conn


class _InTransaction:
    """A SQLite connection whose scripts run in the open transaction, not after a commit."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def executescript(self, script: str) -> sqlite3.Cursor:
        """Execute each statement of script without committing first."""
        cursor = self._conn.cursor()
        statement = ""
        for piece in script.split(";"):
            statement += piece + ";"
            if sqlite3.complete_statement(statement):  # not a ';' inside a string
                cursor.execute(statement)
                statement = ""
        if statement.strip(" \n\t;"):
            cursor.execute(statement)  # never complete: let SQLite say what is wrong
        return cursor


@contextmanager
def _connect_sqlite(
    location: Location, *, autocommit: bool = False
) -> Iterator[sqlite3.Connection]:
    """Open the SQLite file, creating its folder (and its .gitignore) when needed."""
    path = Path(location.target)
    if path.is_dir():
        raise CheckpointError(f"checkpointer {path} is a directory, not a SQLite file")
    try:
        _make_folder(path.parent)
        conn = sqlite3.connect(
            path,
            # The savers serialise access with their own lock; graph nodes run in threads.
            check_same_thread=False,
            isolation_level=None if autocommit else "DEFERRED",
        )
    except (OSError, sqlite3.Error) as exc:
        raise CheckpointError(f"checkpointer {path} cannot be opened: {exc}") from None
    try:
        yield conn
    except sqlite3.DatabaseError as exc:
        # A file damaged past its header opens fine and fails on first read.
        raise CheckpointError(f"checkpointer {path} cannot be used: {exc}") from None
    finally:
        conn.close()


def state_folder(repo: Path) -> Path:
    """Return healloop's own folder in the repository, created when missing."""
    folder = Path(repo) / STATE_DIR
    _make_folder(folder)
    return folder


def _make_folder(folder: Path) -> None:
    """Create the folder; healloop's own state folder also ignores itself in git."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if folder.name == STATE_DIR and not ignore.exists():
        # Concurrent runs may both write it: the same two bytes.
        ignore.write_text("*\n", encoding="utf-8")


@contextmanager
def _connect_postgres(location: Location) -> Iterator[psycopg.Connection[DictRow]]:
    """Connect as the PostgreSQL savers expect: autocommit, dict rows, no prepares."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from psycopg.rows import dict_row

    try:
        params = conninfo_to_dict(location.target)
    except psycopg.ProgrammingError as exc:
        raise CheckpointError(
            f"checkpointer URL {location} is malformed: {_first_line(exc)}"
        ) from None
    port = str(params.get("port", ""))
    if port and not all(p.strip().isdigit() for p in port.split(",")):
        raise CheckpointError(f"checkpointer URL {location} is malformed: port {port!r}")
    params.setdefault("connect_timeout", CONNECT_TIMEOUT)
    try:
        conn = psycopg.Connection.connect(
            make_conninfo("", **params), autocommit=True, prepare_threshold=0, row_factory=dict_row
        )
    except psycopg.Error as exc:
        raise CheckpointError(
            f"checkpointer {location} is unreachable: {_first_line(exc)}"
        ) from None
    with conn:
        yield conn


def _redact(url: str) -> str:
    """Return the URL with its password replaced by ***."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
    except ValueError:
        return url.split("://", 1)[0] + "://***"


def _first_line(exc: BaseException) -> str:
    """Return the first non-empty line of an exception's message."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
