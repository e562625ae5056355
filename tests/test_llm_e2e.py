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


def wrong_each_time(billed: tuple[int, int] | None = None):
    """Return a responder whose every rewrite is a new wrong fix, so each round proposes one.

    With ``billed``, every answer reports that usage; otherwise the server bills by length.
    """
    rounds = iter(range(1, 100))

    def respond(body: dict) -> Reply:
        reply = answering(BUGGY.replace("result = 0", f"result = {next(rounds)}"))(body)
        if billed is not None:
            reply.usage = billed
        return reply

    return respond


def test_every_call_the_server_answered_is_in_the_runs_usage(shop_repo, monkeypatch):
    with FakeOpenAI(responder=wrong_each_time(billed=(300, 40))) as server:
        result = run_cli(shop_repo, server, monkeypatch, "--iterations", "3",
                         "--threshold", "0.99")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    kinds = [r["response_format"]["json_schema"]["name"] for r in server.requests]
    assert kinds == ["ReviewAnswer", "Rewrite", "Rewrite", "Rewrite"]
    assert data["usage"]["calls"] == len(server.requests)
    assert data["usage"]["tokens_in"] == 300 * len(server.requests)
    assert data["usage"]["tokens_out"] == 40 * len(server.requests)


def test_the_cost_of_generation_calls_is_counted(shop_repo, monkeypatch):
    monkeypatch.setenv("HEALLOOP_PRICES", '{"priced-model": [1000, 2000]}')
    with FakeOpenAI(responder=wrong_each_time(billed=(300, 40))) as server:
        result = run_cli(shop_repo, server, monkeypatch, "--iterations", "2",
                         "--threshold", "0.99", "--model", "priced-model")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(server.requests) == 3
    assert data["usage"]["cost"] == pytest.approx(3 * (300 * 1000 + 40 * 2000) / 1e6)


def test_one_token_budget_holds_for_the_whole_run_and_stops_the_second_round(
    shop_repo, monkeypatch
):
    # The server bills by length. The review's estimate (its prompt and a long answer)
    # is past 1,000 tokens; the first rewrite fits, and what it spent leaves too
    # little for a second one.
    with FakeOpenAI(responder=wrong_each_time()) as server:
        result = run_cli(shop_repo, server, monkeypatch, "--iterations", "4",
                         "--threshold", "0.99", "--max-tokens-per-run", "1000")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    kinds = [r["response_format"]["json_schema"]["name"] for r in server.requests]
    assert kinds == ["Rewrite"]
    assert data["usage"]["calls"] == 1
    assert data["usage"]["tokens_in"] + data["usage"]["tokens_out"] <= 1000
    notes = "\n".join(data["notes"])
    assert "shop/total.py review: dropped: token budget reached: 0 of 1000 used" in notes
    assert "shop/total.py round 2 candidate 1: dropped: token budget reached" in notes


def test_the_generate_command_says_what_its_model_calls_spent(shop_repo, monkeypatch, tmp_path):
    review, impact = tmp_path / "review.json", tmp_path / "impact.json"
    cli = CliRunner()
    for args in (["review", "--repo", str(shop_repo), "--files", "shop/total.py",
                  "--output", str(review)],
                 ["impact", "shop/total.py", "--repo", str(shop_repo), "--output", str(impact)]):
        made = cli.invoke(app, args)
        assert made.exit_code == 0, made.output
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with FakeOpenAI(responder=wrong_each_time(billed=(300, 40))) as server:
        result = cli.invoke(app, [
            "generate", "--repo", str(shop_repo), "--file", "shop/total.py", "--review",
            str(review), "--impact", str(impact), "--engine", "llm", "--base-url", server.url,
            "--json"])
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(server.requests) >= 1
    assert data["usage"]["calls"] == len(server.requests)
    assert data["usage"]["tokens_in"] == 300 * len(server.requests)


def test_the_reviews_of_targets_run_at_once_keep_to_one_budget_together(
    shop_repo, monkeypatch
):
    (shop_repo / "shop" / "tax.py").write_text(BUGGY.replace("def total", "def taxed"))
    # One review's estimate (about 1,900 tokens) fits in 3,000; two together do not.
    with FakeOpenAI(responder=wrong_each_time()) as server:
        result = run_cli(shop_repo, server, monkeypatch, "--file", "shop/tax.py",
                         "--max-tokens-per-run", "3000")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    kinds = [r["response_format"]["json_schema"]["name"] for r in server.requests]
    assert "ReviewAnswer" not in kinds
    notes = "\n".join(data["notes"])
    assert "shop/total.py review: dropped: token budget reached: 0 of 1500 used" in notes
    assert "shop/tax.py review: dropped: token budget reached: 0 of 1500 used" in notes
