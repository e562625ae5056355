"""The checkpointer factory on SQLite files, and the errors users see."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from healloop.checkpoint import ENV_VAR, open_checkpointer, open_store, resolve_location
from healloop.errors import CheckpointError


class _Asked(TypedDict, total=False):
    question: str
    answer: str


def _ask(state: _Asked) -> dict[str, str]:
    return {"answer": interrupt({"question": state["question"]})}


def pausing_graph(checkpointer):
    """Return a one-node graph that pauses for an answer."""
    builder = StateGraph(_Asked)
    builder.add_node("ask", _ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=checkpointer)


def pause_then_resume(first, second) -> dict:
    """Pause a run through one checkpointer and finish it through another."""
    config = {"configurable": {"thread_id": "t1"}}
    paused = pausing_graph(first).invoke({"question": "ship it?"}, config)
    assert paused["__interrupt__"][0].value == {"question": "ship it?"}
    graph = pausing_graph(second)
    assert graph.get_state(config).next == ("ask",)
    return graph.invoke(Command(resume="yes"), config)


def test_default_location_is_a_git_ignored_file_in_the_repo(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with open_checkpointer(None, tmp_path) as first, open_checkpointer(None, tmp_path) as second:
        result = pause_then_resume(first, second)
    assert result == {"question": "ship it?", "answer": "yes"}
    assert (tmp_path / ".healloop" / "checkpoints.sqlite").is_file()
    assert (tmp_path / ".healloop" / ".gitignore").read_text() == "*\n"


def test_a_paused_run_survives_closing_the_file(tmp_path):
    path = tmp_path / "runs.sqlite"
    config = {"configurable": {"thread_id": "t1"}}
    with open_checkpointer(str(path), tmp_path) as saver:
        pausing_graph(saver).invoke({"question": "ship it?"}, config)
    with open_checkpointer(f"sqlite:///{path}", tmp_path) as saver:
        result = pausing_graph(saver).invoke(Command(resume="no"), config)
    assert result["answer"] == "no"


def test_environment_variable_names_the_location_when_no_flag_does(tmp_path, monkeypatch):
    target = tmp_path / "elsewhere" / "cp.sqlite"
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{target}")
    assert resolve_location(None, tmp_path).target == str(target)
    assert resolve_location(str(tmp_path / "flag.sqlite"), tmp_path).target.endswith("flag.sqlite")
    with open_checkpointer(None, tmp_path):
        pass
    assert target.is_file()
    assert not (tmp_path / ".healloop").exists()


@pytest.mark.parametrize(
    ("value", "backend", "tail"),
    [
        ("postgresql://u@db.example:5432/heal", "postgres", "/heal"),
        ("postgres://db.example/heal", "postgres", "/heal"),
        ("sqlite:///runs.sqlite", "sqlite", "runs.sqlite"),
        ("sqlite:////srv/runs.sqlite", "sqlite", "/srv/runs.sqlite"),
        ("runs.sqlite", "sqlite", "runs.sqlite"),
    ],
)
def test_location_forms(value, backend, tail, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    location = resolve_location(value, tmp_path)
    assert location.backend == backend
    assert location.target.endswith(tail)


def test_corrupt_sqlite_file_is_one_clear_error(tmp_path):
    path = tmp_path / "cp.sqlite"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    with pytest.raises(CheckpointError, match="not a usable SQLite file") as caught:
        with open_checkpointer(str(path), tmp_path):
            pass
    assert "\n" not in str(caught.value)


def test_directory_is_not_a_checkpointer_file(tmp_path):
    with pytest.raises(CheckpointError, match="is a directory"):
        with open_checkpointer(str(tmp_path), tmp_path):
            pass


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://db/heal", "unknown scheme 'mysql'"),
        ("sqlite://", "names no file"),
        ("postgresql://db:notaport/heal", "malformed"),
        ("postgresql://a b", "malformed"),
    ],
)
def test_malformed_location_is_one_clear_error(value, message, tmp_path):
    with pytest.raises(CheckpointError, match=message):
        with open_checkpointer(value, tmp_path):
            pass


def test_unreachable_server_is_named_without_its_password(tmp_path):
    from pg import free_port

    url = f"postgresql://heal:s3cret@127.0.0.1:{free_port()}/heal"
    with pytest.raises(CheckpointError, match="unreachable") as caught:
        with open_checkpointer(url, tmp_path):
            pass
    assert "s3cret" not in str(caught.value)
    assert "heal:***@127.0.0.1" in str(caught.value)


def test_store_shares_the_checkpointer_file(tmp_path):
    path = tmp_path / "cp.sqlite"
    with open_store(str(path), tmp_path) as store:
        store.put(("decisions", "calc"), "d1", {"action": "approve"})
    with open_checkpointer(str(path), tmp_path), open_store(str(path), tmp_path) as store:
        item = store.get(("decisions", "calc"), "d1")
    assert item is not None and item.value == {"action": "approve"}
    with closing(sqlite3.connect(path)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"checkpoints", "store"} <= tables


def _open_store_after(barrier, path) -> str:
    barrier.wait()
    try:
        with open_store(str(path), path.parent):
            return "ok"
    except CheckpointError as exc:
        return str(exc)


@pytest.mark.slow
def test_first_runs_opening_a_new_store_at_once_both_open_it(tmp_path, monkeypatch):
    import multiprocessing
    from functools import partial

    from langgraph.store.sqlite import SqliteStore

    # A first migration that takes a second: without one setup at a time, both
    # processes read "no version yet", migrate, and record version 0 twice.
    slow = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
            "WHERE x < 3000000) SELECT count(*) FROM n;\n")
    monkeypatch.setattr(SqliteStore, "MIGRATIONS",
                        [slow + SqliteStore.MIGRATIONS[0], *SqliteStore.MIGRATIONS[1:]])
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager, context.Pool(2) as pool:
        barrier = manager.Barrier(2)
        opened = pool.map(partial(_open_store_after, barrier), [tmp_path / "cp.sqlite"] * 2)
    assert opened == ["ok", "ok"]


DIES_BEFORE_RECORDING = """
import functools, os, sqlite3, sys
import healloop.checkpoint as checkpoint

class Dying(sqlite3.Connection):
    # Killed after the store's third migration (a column added), before its record.
    def execute(self, sql, *args):
        if sql.startswith("INSERT INTO store_migrations") and args and args[0] == (2,):
            os._exit(9)
        return super().execute(sql, *args)

checkpoint.sqlite3.connect = functools.partial(sqlite3.connect, factory=Dying)
with checkpoint.open_store(sys.argv[1], None):
    pass
"""


@pytest.mark.slow
def test_a_store_killed_while_migrating_opens_again(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "cp.sqlite"
    died = subprocess.run([sys.executable, "-c", DIES_BEFORE_RECORDING, str(path)],
                          capture_output=True, text=True)
    assert died.returncode == 9, died.stderr
    with open_store(str(path), tmp_path) as store:
        store.put(("decisions", "calc"), "d1", {"action": "approve"})
        assert store.get(("decisions", "calc"), "d1").value == {"action": "approve"}
