"""A run paused on PostgreSQL by one process is resumed by another, through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytest_plugins = ["pg"]  # the postgres_server and postgres_url fixtures
pytestmark = pytest.mark.slow


def healloop(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENAI_API_KEY", "HEALLOOP_CHECKPOINTER")
    }
    return subprocess.run(
        [sys.executable, "-m", "healloop", *args],
        cwd=cwd, env={**base, **env}, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_a_run_paused_on_postgres_resumes_in_another_process(calc_repo, tmp_path, postgres_url):
    first = healloop(
        "run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine", "offline",
        "--apply", "--thread-id", "pg-1", "--json", cwd=tmp_path,
        HEALLOOP_CHECKPOINTER=postgres_url,
    )  # fmt: skip
    assert first.returncode == 3, first.stderr
    paused = last_json(first.stdout)
    assert paused["status"] == "awaiting_approval"
    assert paused["request"]["proposals"][0]["target"] == "calc/ops.py"
    assert "import os" in (calc_repo / "calc/ops.py").read_text()
    assert not (calc_repo / ".healloop" / "checkpoints.sqlite").exists()
    with psycopg.connect(postgres_url) as conn:
        threads = conn.execute("SELECT DISTINCT thread_id FROM checkpoints").fetchall()
    assert ("pg-1",) in threads

    second = healloop(
        "resume", "pg-1", "--repo", str(calc_repo), "--approve", "--checkpointer",
        postgres_url, "--json", cwd=tmp_path,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert last_json(second.stdout)["status"] == "accepted"
    assert "import os" not in (calc_repo / "calc/ops.py").read_text()


def test_unreachable_postgres_is_one_line_and_exit_2(calc_repo, tmp_path, postgres_server):
    url = f"postgresql://postgres@127.0.0.1:{postgres_server.port}/no_such_db"
    result = healloop(
        "run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine", "offline",
        "--checkpointer", url, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "no_such_db" in result.stderr and "Traceback" not in result.stderr
