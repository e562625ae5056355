"""Checkpointer and store on a real, throwaway PostgreSQL server."""

from __future__ import annotations

import pytest
from langgraph.types import Command
from test_checkpoint import pause_then_resume, pausing_graph

from healloop.checkpoint import ENV_VAR, open_checkpointer, open_store
from healloop.errors import CheckpointError

pytest_plugins = ["pg"]  # the postgres_server and postgres_url fixtures
pytestmark = pytest.mark.slow


def test_a_run_paused_on_postgres_resumes_through_a_new_connection(postgres_url, tmp_path):
    with (
        open_checkpointer(postgres_url, tmp_path) as first,
        open_checkpointer(postgres_url, tmp_path) as second,
    ):
        result = pause_then_resume(first, second)
    assert result == {"question": "ship it?", "answer": "yes"}
    assert not (tmp_path / ".healloop").exists()


def test_environment_variable_selects_postgres(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, postgres_url)
    config = {"configurable": {"thread_id": "from-env"}}
    with open_checkpointer(None, tmp_path) as saver:
        pausing_graph(saver).invoke({"question": "env?"}, config)
    with open_checkpointer(postgres_url, tmp_path) as saver:
        assert pausing_graph(saver).invoke(Command(resume="ok"), config)["answer"] == "ok"


def test_store_lives_in_the_same_database(postgres_url, tmp_path):
    with open_store(postgres_url, tmp_path) as store:
        store.put(("decisions", "calc"), "d1", {"action": "reject", "feedback": "keep API"})
    with open_store(postgres_url, tmp_path) as store:
        item = store.get(("decisions", "calc"), "d1")
    assert item is not None and item.value["feedback"] == "keep API"


def test_unknown_database_is_one_clear_error(postgres_server, tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{postgres_server.port}/no_such_db"
    with pytest.raises(CheckpointError, match='unreachable.*"no_such_db" does not exist'):
        with open_checkpointer(url, tmp_path):
            pass
