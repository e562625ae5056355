"""The loop on the LangGraph API server that Studio talks to, driven through langgraph_sdk.

The dev server (``langgraph dev`` from ``langgraph-cli[inmem]``, a dev dependency)
loads the graph named in the top-level ``langgraph.json``, brings its own
checkpointer, and runs offline with the two environment variables README names.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from langgraph.graph.state import CompiledStateGraph
from pg import free_port

from healloop.reports import write_report
from healloop.state import ApprovalRequest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "langgraph.json"
OFFLINE_ENV = {"LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGGRAPH_NO_VERSION_CHECK": "true"}
STARTUP_SECONDS = 120


def test_langgraph_json_names_the_graph_in_module_form_without_a_checkpointer():
    import importlib

    config = json.loads(CONFIG.read_text())
    spec = config["graphs"]["healloop"]
    module, _, variable = spec.partition(":")
    assert module.startswith("healloop.graph") and "/" not in module
    graph = getattr(importlib.import_module(module), variable)
    assert isinstance(graph, CompiledStateGraph)
    assert graph.checkpointer is None and graph.store is None
    assert {"review", "blast_radius", "generate", "evaluate", "approve", "apply"} <= set(
        graph.get_graph().nodes
    )


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``langgraph dev`` on a free port of 127.0.0.1; stop it afterwards."""
    exe = Path(sys.executable).parent / "langgraph"
    if not exe.exists():
        pytest.fail("langgraph CLI missing: install the dev group (langgraph-cli[inmem])")
    port = free_port()
    # The dev server keeps its in-memory state in .langgraph_api/ under its cwd.
    cwd = tmp_path_factory.mktemp("langgraph-dev")
    log = cwd / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(OFFLINE_ENV, LANGSMITH_TRACING="false")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(exe), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
             "--port", str(port), "--config", str(CONFIG)],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, proc, log)
        yield url
    finally:
        _stop(proc)


def _wait_until_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"langgraph dev exited with {proc.returncode}:\n{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"langgraph dev not ready after {STARTUP_SECONDS} s:\n{_tail(log)}")


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.mark.slow
def test_the_api_server_pauses_for_approval_and_resumes(dev_server, calc_repo, tmp_path):
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=dev_server, timeout=300)
    thread_id = client.threads.create()["thread_id"]
    request = {"repo": str(calc_repo), "files": ["calc/ops.py"], "apply": True}
    context = {"engine": "offline"}

    client.runs.wait(thread_id, "healloop", input={"request": request}, context=context)

    paused = client.threads.get_state(thread_id)
    assert paused["next"] == ["approve"]
    (interrupt,) = paused["interrupts"]
    payload = ApprovalRequest.model_validate(interrupt["value"])
    (proposal,) = payload.proposals
    assert proposal.target == "calc/ops.py"
    assert "-import os" in proposal.diff
    assert proposal.score > proposal.original_score
    assert "import os" in (calc_repo / "calc/ops.py").read_text()

    result = client.runs.wait(
        thread_id, "healloop", command={"resume": {"action": "approve"}}, context=context
    )

    assert result["status"] == "accepted"
    assert [Path(p).resolve() for p in result["written"]] == [
        (calc_repo / "calc/ops.py").resolve()
    ]
    assert "import os" not in (calc_repo / "calc/ops.py").read_text()
    final = client.threads.get_state(thread_id)
    assert final["next"] == []
    report = write_report(final["values"], tmp_path / "run.md", thread_id=thread_id)
    assert "**Status:** accepted" in report.read_text()
