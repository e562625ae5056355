"""End to end: `healloop run --engine llm` against a scripted OpenAI-compatible server.

The server's answer is only a claim. The run is accepted because the evaluator
ran the repository's tests on the candidate and measured the fix; the same
claim with a wrong fix is not accepted.
"""

import json
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, Reply
from typer.testing import CliRunner

from healloop.main import app

pytestmark = pytest.mark.slow

SECRET = "sk-e2e-not-a-real-key"
BUGGY = '''\
"""Shop arithmetic."""


def total(prices):
    """Return the sum of prices."""
    result = 0
    for price in prices[1:]:
        result += price
    return result
'''
FIXED = BUGGY.replace("prices[1:]", "prices")
WRONG = BUGGY.replace("result = 0", "result = 1")
TESTS = f'''\
import os

from shop.total import total


def test_total_adds_every_price():
    assert total([1, 2, 3]) == 6


def test_total_of_nothing_is_zero():
    assert total([]) == 0


def test_no_model_key_reaches_the_tests():
    assert not any("{SECRET}" in value for value in os.environ.values())
'''


@pytest.fixture
def shop_repo(make_repo) -> Path:
    return make_repo({
        "shop/__init__.py": '"""Shop."""\n',
        "shop/total.py": BUGGY,
        "tests/test_total.py": TESTS,
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    }, name="shop")


def answering(content: str):
    """Return a responder that answers every kind of request the run makes."""

    def respond(body: dict) -> Reply:
        kind = (body.get("response_format") or {}).get("json_schema", {}).get("name")
        if kind == "Rewrite":
            return Reply.json({"path": "shop/total.py", "summary": "tests pass now",
                               "edits": ["line 7: sum every price"], "content": content})
        if kind == "ReviewAnswer":
            return Reply.json({"findings": []})
        if kind == "JudgeAnswer":
            return Reply.json({"score": 1.0, "reasons": ["looks right"]})
        return Reply.error(400, f"unexpected request {kind}")

    return respond


def run_cli(repo: Path, server: FakeOpenAI, monkeypatch, *extra: str):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return CliRunner().invoke(app, [
        "run", "--repo", str(repo), "--file", "shop/total.py", "--engine", "llm",
        "--base-url", server.url, "--iterations", "1", "--yes", "--json", *extra,
    ])


def test_the_models_fix_is_accepted_because_the_tests_measured_it(shop_repo, monkeypatch):
    with FakeOpenAI(responder=answering(FIXED)) as server:
        result = run_cli(shop_repo, server, monkeypatch)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["status"] == "accepted"
    [target] = data["targets"]
    assert target["engine"].startswith("llm")
    assert {t["name"]: t["value"] for t in target["terms"]}["tests"] == 1.0
    assert target["original_score"] < data["threshold"] <= data["score"]
    assert "-    for price in prices[1:]:" in data["diff"]
    assert data["usage"]["calls"] >= 1 and data["usage"]["tokens_in"] > 0
    assert server.headers[0]["authorization"] == f"Bearer {SECRET}"
    stored = b"".join(p.read_bytes() for p in (shop_repo / ".healloop").rglob("*") if p.is_file())
    assert SECRET.encode() not in stored, "the key never reaches the checkpoints"
    assert SECRET not in result.output


def test_the_same_claim_with_a_wrong_fix_is_not_accepted(shop_repo, monkeypatch):
    with FakeOpenAI(responder=answering(WRONG)) as server:
        result = run_cli(shop_repo, server, monkeypatch)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["status"] == "no_improvement"
    assert len([r for r in server.requests if "response_format" in r]) >= 1
