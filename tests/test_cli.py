"""The CLI as users drive it: CliRunner in process, subprocesses across processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from healloop.console import Prompt, ask, finish, progress, score_text
from healloop.main import app
from healloop.session import Outcome
from healloop.state import ApprovalDecision, ApprovalRequest, TargetProposal

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_run_with_yes_applies_and_exits_0(calc_repo):
    result = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                    "offline", "--yes", "--apply", "--json")
    assert result.exit_code == 0, result.output
    data = last_json(result.stdout)
    assert data["status"] == "accepted"
    assert data["score"] >= data["threshold"] == 0.7
    assert data["iterations_used"] >= 1
    assert "-import os" in data["diff"]
    assert "import os" not in (calc_repo / "calc/ops.py").read_text()


def test_output_writes_elsewhere_and_leaves_the_original(calc_repo, tmp_path):
    before = (calc_repo / "calc/ops.py").read_bytes()
    out = tmp_path / "healed.py"
    result = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                    "offline", "--yes", "--output", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert last_json(result.stdout)["output"] == str(out)
    assert "import os" not in out.read_text()
    assert (calc_repo / "calc/ops.py").read_bytes() == before


def test_without_a_terminal_the_run_pauses_with_exit_3(calc_repo):
    result = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                    "offline", "--thread-id", "paused-1", "--json")
    assert result.exit_code == 3, result.output
    data = last_json(result.stdout)
    assert data["status"] == "awaiting_approval"
    assert data["thread_id"] == "paused-1"
    assert "healloop resume paused-1" in result.stderr


def paused(calc_repo, thread: str) -> None:
    """Start a run with neither --output nor --apply; it pauses for approval."""
    result = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                    "offline", "--thread-id", thread)
    assert result.exit_code == 3, result.output


def test_the_approval_says_where_to_write_when_the_run_did_not(calc_repo, tmp_path):
    before = (calc_repo / "calc/ops.py").read_bytes()
    paused(calc_repo, "elsewhere")
    out = tmp_path / "healed.py"
    result = invoke("resume", "elsewhere", "--repo", str(calc_repo), "--approve",
                    "--output", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert last_json(result.stdout)["output"] == str(out)
    assert "import os" not in out.read_text()
    assert (calc_repo / "calc/ops.py").read_bytes() == before
    paused(calc_repo, "in-place")
    result = invoke("resume", "in-place", "--repo", str(calc_repo), "--approve", "--apply")
    assert result.exit_code == 0, result.output
    assert "import os" not in (calc_repo / "calc/ops.py").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--reject", "--apply"], "--apply and --output go with --approve"),
    (["--approve", "--apply", "--output", "{tmp}/x.py"], "--output and --apply exclude"),
    (["--approve", "--output", "{repo}/calc/ops.py"], "would overwrite a Python source"),
    (["--approve", "--output", "{tmp}/none/x.py"], "folder {tmp}/none does not exist"),
])
def test_a_destination_on_approval_is_checked_before_anything_is_written(
    calc_repo, tmp_path, args, message,
):
    paused(calc_repo, "checked")
    fill = {"repo": str(calc_repo), "tmp": str(tmp_path)}
    result = invoke("resume", "checked", "--repo", str(calc_repo),
                    *[a.format(**fill) for a in args])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert message.format(**fill) in line, line
    assert "import os" in (calc_repo / "calc/ops.py").read_text()
    (row,) = json.loads(invoke("runs", "--repo", str(calc_repo), "--json").stdout)
    assert row["status"] == "awaiting_approval"


def test_nothing_reaching_the_threshold_exits_1_and_writes_nothing(calc_repo):
    before = (calc_repo / "calc/ops.py").read_bytes()
    result = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                    "offline", "--threshold", "1.0", "--yes", "--apply", "--json")
    assert result.exit_code == 1, result.output
    assert last_json(result.stdout)["status"] == "no_improvement"
    assert (calc_repo / "calc/ops.py").read_bytes() == before


def test_runs_lists_paused_and_finished_runs(calc_repo):
    invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine", "offline",
           "--thread-id", "listed-1")
    result = invoke("runs", "--repo", str(calc_repo), "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["thread_id"], row["status"]) == ("listed-1", "awaiting_approval")
    assert row["files"] == ["calc/ops.py"]
    text = invoke("runs", "--repo", str(calc_repo)).stdout
    assert text.startswith("listed-1  awaiting_approval") and "calc/ops.py" in text


def test_graph_prints_mermaid():
    result = invoke("graph")
    assert result.exit_code == 0, result.output
    assert "generate" in result.stdout and "approve" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "1.5"], "--threshold must be between 0 and 1"),
        (["--iterations", "0"], "--iterations must be at least 1"),
        (["--iterations", "x"], "Invalid value for '--iterations'"),
    ],
)
def test_bad_flags_get_one_line_and_exit_2(calc_repo, args, message):
    result = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def healloop(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return subprocess.run([sys.executable, "-m", "healloop", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_a_paused_run_resumes_in_another_process(calc_repo, tmp_path):
    first = healloop("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                     "offline", "--apply", "--thread-id", "cross-1", "--json", cwd=tmp_path)
    assert first.returncode == 3, first.stderr
    assert "import os" in (calc_repo / "calc/ops.py").read_text()
    second = healloop("resume", "cross-1", "--repo", str(calc_repo), "--approve", "--json",
                      cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert last_json(second.stdout)["status"] == "accepted"
    assert "import os" not in (calc_repo / "calc/ops.py").read_text()
    again = healloop("resume", "cross-1", "--repo", str(calc_repo), "--approve", cwd=tmp_path)
    assert again.returncode == 2
    assert "already finished" in again.stderr


def test_help_does_not_import_langgraph_or_langchain():
    code = ("import sys; from healloop.main import app; "
            "print(sorted(m for m in sys.modules if m.startswith(('langgraph', 'langchain'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_a_score_near_the_threshold_is_shown_with_the_decimals_that_tell_them_apart():
    assert score_text(0.6995, 0.7) == "0.6995"  # below: never "0.70"
    assert score_text(0.7004, 0.7) == "0.7004"
    assert score_text(0.7, 0.7) == "0.70"
    assert score_text(0.83, 0.7) == "0.83"
    assert score_text(None, 0.7) == "-"
    # An improvement never reads as the same score as the original's.
    assert (score_text(0.8997, 0.7, 0.8958), score_text(0.8958, 0.7, 0.8997)) == ("0.900", "0.896")


def test_the_progress_line_of_a_decision_says_what_was_decided(capsys):
    progress("approve", {"decision": {"action": "reject", "targets": ["a.py"],
                                      "feedback": "keep the name"}})
    progress("approve", {"decision": {"action": "approve", "targets": None}})
    progress("__metadata__", {})  # LangGraph's, not a node's: never shown
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].split(None, 2)[2] == "rejected a.py with feedback"
    assert lines[1].split(None, 2)[2] == "approved every target"


def test_the_repair_budget_is_a_setting_the_run_keeps(calc_repo):
    from healloop.session import opened

    result = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                    "offline", "--repair-seconds", "7.5", "--thread-id", "budget")
    assert result.exit_code == 3, result.output
    with opened(calc_repo, None) as graph:
        settings = graph.get_state({"configurable": {"thread_id": "budget"}}).values["settings"]
    assert settings["repair_seconds"] == 7.5  # a resume in another process keeps it


@pytest.mark.parametrize("command", ["runs", "history", "forget"])
def test_reading_runs_or_decisions_creates_nothing_where_healloop_never_ran(tmp_path, command):
    result = invoke(command, "--repo", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []


def approval(*targets: str) -> ApprovalRequest:
    return ApprovalRequest(threshold=0.7, iteration=1, proposals=[
        TargetProposal(target=t, candidate_id=f"c{n}", engine="test", diff="", score=0.9,
                       original_score=0.5, terms=[]) for n, t in enumerate(targets, 1)])


def answered(request: ApprovalRequest, *typed: str) -> tuple[ApprovalDecision | None, str]:
    """Ask for a decision on request with these lines typed; return it and what was shown."""
    with runner.isolation(input="".join(f"{line}\n" for line in typed)) as streams:
        decision = ask(request)
        shown = streams[0].getvalue().decode()
    return decision, shown


@pytest.mark.parametrize(("typed", "action"), [
    ("y", "approve"), ("yes", "approve"), ("a", "approve"), ("Approve", "approve"),
    ("n", "reject"), ("no", "reject"), ("r", "reject"),
])
def test_yes_and_no_at_the_prompt_approve_and_reject(typed, action):
    decision, _ = answered(approval("a.py"), typed)
    assert decision == ApprovalDecision(action=action)


def test_an_answer_the_prompt_does_not_know_is_said_and_asked_again():
    decision, shown = answered(approval("a.py"), "ok", "s", "y")
    assert "not an answer: 'ok'; type a, r, f or q (y for a, n for r)" in shown
    assert "not an answer: 's'" in shown  # approve some: there is one target
    assert decision == ApprovalDecision(action="approve")


@pytest.mark.parametrize("typed", [[], [""], ["q"], ["f"], ["s"]],
                         ids=["end-of-input", "empty", "q", "feedback-unsaid", "targets-unsaid"])
def test_the_default_or_the_end_of_input_leaves_the_run_paused(typed):
    decision, _ = answered(approval("a.py", "b.py"), *typed)
    assert decision is None


def test_leaving_the_run_paused_at_the_prompt_shows_the_proposal_once(monkeypatch):
    request = approval("a.py")
    request.proposals[0].diff = "+    return a + b"
    paused = Outcome(status="awaiting_approval", thread_id="t1", threshold=0.7,
                     files=["a.py"], request=request)
    for answer_on_a_terminal, times in ((True, 1), (False, 1)):
        prompt = Prompt(yes=False)
        with runner.isolation(input="q\n") as streams:
            for stream in (sys.stdin, sys.stdout):
                monkeypatch.setattr(stream, "isatty", lambda tty=answer_on_a_terminal: tty)
            assert prompt(request) is None
            with pytest.raises(typer.Exit):
                finish(paused, Path("repo"), as_json=False, asked=prompt.asked)
            shown = streams[0].getvalue().decode()
        assert shown.count("+    return a + b") == times, shown


def test_some_targets_are_approved_or_rejected_by_number_or_path():
    request = approval("pkg/a.py", "pkg/b.py", "pkg/c.py")
    decision, shown = answered(request, "s", "1, pkg/c.py")
    assert "  2  pkg/b.py" in shown
    assert "targets to approve: numbers or paths, separated by commas" in shown
    assert decision == ApprovalDecision(action="approve", targets=["pkg/a.py", "pkg/c.py"])
    decision, shown = answered(request, "x", "b.py 4", "2")
    assert "no proposal for b.py, 4: type numbers from 1 to 3 or paths as listed" in shown
    assert decision == ApprovalDecision(action="reject", targets=["pkg/b.py"])
    decision, _ = answered(request, "t", "3", "keep the name")
    assert decision == ApprovalDecision(action="reject", targets=["pkg/c.py"],
                                        feedback="keep the name")


def test_the_run_notes_at_a_pause_are_notes_not_lessons(capsys):
    from healloop.console import show_request

    note = "repair of m.py: 12 edit(s) tried in 3s, none made 1 failing test(s) pass"
    show_request(ApprovalRequest(threshold=0.7, iteration=1, proposals=[], notes=[note]))
    assert capsys.readouterr().out.splitlines() == [f"note: {note}"]
