"""Learning from decisions: the log, the profile, the ranking, and the loop using them."""

from contextlib import contextmanager
from pathlib import Path

import pytest
from langgraph.types import Command

from healloop.checkpoint import open_checkpointer, open_store
from healloop.context import RunContext
from healloop.graph import build_graph
from healloop.learning import (
    DecisionLog,
    DecisionRecord,
    Profile,
    addressed,
    edit_kinds,
    finding_kind,
    rank,
)
from healloop.state import ApprovalRequest, Candidate, FileChange, Finding, Request

OFFLINE = RunContext(engine="offline", jobs=2)


def record(verdict: str, kinds=(), addresses=(), target="a.py", feedback="", n=0, cid="c1"):
    return DecisionRecord(thread_id=f"t{n}", candidate_id=cid, target=target, verdict=verdict,
                          engine="ruff", kinds=list(kinds), addresses=list(addresses),
                          feedback=feedback)


def candidate(cid: str, kinds: list[str], addresses: list[str] = ()) -> Candidate:
    return Candidate(id=cid, target="a.py", engine="ruff", iteration=1,
                     changes=[FileChange(path="a.py", content=cid)], kinds=kinds,
                     addresses=list(addresses))


def test_edit_kinds_come_from_the_edits_in_words_else_the_engine():
    assert edit_kinds("ruff", ["ruff fixes for F401", "ruff format"]) == ["lint-fix", "format"]
    assert edit_kinds("rename+ruff", ["rename `a` to `b`", "ruff safe fixes"]) == [
        "rename", "lint-fix"]
    assert edit_kinds("repair", ["line 3: `<=` -> `<`"]) == ["repair"]


def test_finding_kinds_and_what_a_change_addressed():
    unused = Finding(file="a.py", rule="F401", source="ruff", message="unused")
    naming = Finding(file="a.py", rule="N802", source="ruff", message="name")
    failing = Finding(file="a.py", rule="tests/t.py::t", source="pytest", message="failed")
    assert [finding_kind(f) for f in (unused, failing)] == ["F401", "failing-test"]
    assert addressed([unused, unused, naming], [unused]) == ["F401", "N802"]
    # The analysers do not see tests or a model's findings: a lint fix fixes no failing test.
    advice = Finding(file="a.py", rule="naming", source="llm", message="rename")
    assert addressed([unused, failing, advice], []) == ["F401"]


def test_a_kind_rejected_twice_and_never_accepted_is_skipped():
    once = Profile.of([record("rejected", ["format"], n=1)])
    assert once.skipped_edits() == set()
    assert once.edits["format"].effect == "ranked down"
    twice = Profile.of([record("rejected", ["format"], n=1), record("rejected", ["format"], n=2)])
    assert twice.skipped_edits() == {"format"}
    forgiven = Profile.of([record("rejected", ["format"], n=1), record("rejected", ["format"], n=2),
                           record("accepted", ["format"], n=3)])
    assert forgiven.skipped_edits() == set()


def test_a_kind_judged_by_the_pattern_not_by_one_candidate():
    # The human rejected a candidate that fixed F401 and UP006, accepted one fixing
    # F401 alone, and rejected UP006 again: it is UP006 they object to.
    profile = Profile.of([
        record("rejected", ["lint-fix"], ["F401", "UP006"], n=1),
        record("accepted", ["lint-fix"], ["F401"], n=2),
        record("rejected", ["lint-fix"], ["UP006"], n=3),
    ])
    assert profile.skipped_findings() == {"UP006"}
    assert profile.findings["F401"].effect == "tried first"


def test_acceptances_explain_rejections_away():
    # Lint fixes ride along with the reformatting the human keeps rejecting; they
    # accepted lint fixes on their own, so the blame falls on the reformatting.
    profile = Profile.of([
        *(record("rejected", ["lint-fix", "format"], n=n) for n in range(3)),
        record("accepted", ["lint-fix"], n=3),
    ])
    assert profile.skipped_edits() == {"format"}
    assert (profile.edits["lint-fix"].rejected, profile.edits["lint-fix"].effect) == (
        0, "tried first")


def test_rank_drops_skipped_kinds_with_a_note_and_puts_liked_kinds_first():
    profile = Profile.of([
        record("rejected", ["format"], n=1), record("rejected", ["format"], n=2),
        record("accepted", ["rename"], n=3), record("rejected", ["lint-fix"], n=4),
    ])
    ranking = rank([candidate("c1", ["lint-fix"]), candidate("c2", ["lint-fix", "format"]),
                    candidate("c3", ["rename"])], profile)
    assert [c.id for c in ranking.kept] == ["c3", "c1"]
    assert ranking.kept[0].preference > 0 > ranking.kept[1].preference
    assert ranking.notes == [
        "skipped 1 candidate(s) for a.py that make format edits: you rejected 2 times in this "
        "repository (on a.py), accepted 0"]


def test_a_rejection_with_feedback_is_held_against_no_kind():
    # "Rename this too" on a candidate that removed an unused import is a request for
    # more, not a verdict against removing unused imports.
    asked = [record("rejected", ["lint-fix"], ["F401"], feedback="rename x to y", n=n)
             for n in range(3)]
    profile = Profile.of(asked)
    assert [r.verdict for r in asked] == ["revised"] * 3
    assert (profile.rejected, profile.revised) == (0, 3)
    assert profile.skipped_edits() == profile.skipped_findings() == set()
    assert profile.preference(["lint-fix"], ["F401"]) == 0.0
    assert profile.feedback_on("a.py") == ["rename x to y"]


def decided(tmp_path: Path, *decisions: DecisionRecord) -> list[DecisionRecord]:
    """Record decisions one by one, as the approve node does; return the log."""
    with open_store(str(tmp_path / "store.sqlite"), tmp_path) as store:
        log = DecisionLog(store, tmp_path / "repo")
        for decision in decisions:
            log.add([decision])
            if decision.verdict == "accepted":
                log.settle([decision])
        return log.records()


def test_a_revision_then_an_approval_without_some_of_its_kinds_blames_those_kinds(tmp_path):
    # "Keep public names; do not reformat", then the lint fix alone is approved: the
    # feedback was against the rename and the reformatting, not the lint fix.
    asked = record("revised", ["lint-fix", "rename", "format"], ["F401", "N802"], n=1,
                   feedback="keep public names; do not reformat")
    on_another_file = record("revised", ["format"], target="b.py", feedback="no", n=1, cid="c2")
    in_another_run = record("revised", ["format"], feedback="no", n=2)
    approved = record("accepted", ["lint-fix"], ["F401"], n=1, cid="c3")
    records = decided(tmp_path, asked, on_another_file, in_another_run, approved)
    assert {r.key: (r.dropped_kinds, r.dropped_addresses) for r in records} == {
        "t1:c1": (["rename", "format"], ["N802"]), "t1:c2": ([], []), "t2:c1": ([], []),
        "t1:c3": ([], [])}
    profile = Profile.of(records)
    assert {k: (s.accepted, s.rejected) for k, s in profile.edits.items()} == {
        "lint-fix": (1, 0), "rename": (0, 1), "format": (0, 1)}
    assert profile.findings["N802"].effect == "ranked down"
    assert (profile.accepted, profile.rejected, profile.revised) == (1, 0, 3)


def test_a_revision_then_an_approval_with_all_of_its_kinds_blames_none(tmp_path):
    # The field tester asked for a rename on top of the lint fix and approved the
    # candidate that did both: they asked for more, and got it.
    asked = record("revised", ["lint-fix"], ["F401", "I001"], n=1,
                   feedback="rename getPrice to price_of")
    approved = record("accepted", ["rename", "lint-fix"], ["F401", "I001", "N802"], n=1,
                      cid="c2")
    profile = Profile.of(decided(tmp_path, asked, approved))
    assert all(s.rejected == 0 for s in [*profile.edits.values(), *profile.findings.values()])
    assert profile.edits["lint-fix"].effect == "tried first"


def test_history_says_in_words_what_a_rejection_with_feedback_counts_against(tmp_path):
    from typer.testing import CliRunner

    from healloop.main import app

    repo = tmp_path / "repo"
    repo.mkdir()
    with open_store(None, repo) as store:
        log = DecisionLog(store, repo)
        asked = record("revised", ["lint-fix", "rename"], n=1, feedback="keep public names")
        approved = record("accepted", ["lint-fix"], n=1, cid="c2")
        log.add([asked])
        log.add([approved])
        log.settle([approved])
    result = CliRunner().invoke(app, ["history", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "2 decisions: 1 accepted, 0 rejected, 1 rejected with feedback",
        "a rejection with feedback counts against a kind of change only if the candidate you "
        "approved after it, for the same file in the same run, left that kind out",
    ]
    assert "rename                0         1  " in result.stdout


def test_a_revision_then_a_plain_rejection_counts_only_the_plain_rejection(tmp_path):
    asked = record("revised", ["lint-fix"], ["F401", "I001"], n=1,
                   feedback="rename getPrice to price_of")
    refused = record("rejected", ["rename", "lint-fix"], ["F401", "I001", "N802"], n=1,
                     cid="c2")
    profile = Profile.of(decided(tmp_path, asked, refused))
    assert {k: s.rejected for k, s in profile.edits.items()} == {"rename": 1, "lint-fix": 1}
    assert profile.edits["lint-fix"].effect == "ranked down"
    assert profile.skipped_edits() == profile.skipped_findings() == set()


def test_the_files_a_kind_was_rejected_on_are_named_at_most_three():
    profile = Profile.of(
        record("rejected", ["format"], target=f"m{n}.py", n=n) for n in (1, 2, 2, 3, 4)
    )
    assert profile.explain("edits", "format") == (
        "rejected 5 times in this repository (on m1.py, m2.py, m3.py and 1 more files), "
        "accepted 0")


def test_nothing_learned_changes_nothing():
    ranking = rank([candidate("c1", ["lint-fix"]), candidate("c2", ["format"])], Profile())
    assert [(c.id, c.preference) for c in ranking.kept] == [("c1", 0.0), ("c2", 0.0)]
    assert ranking.notes == []


def test_decisions_persist_once_per_candidate_per_repository(tmp_path):
    location = str(tmp_path / "store.sqlite")
    first = record("rejected", ["format"])
    with open_store(location, tmp_path) as store:
        DecisionLog(store, tmp_path / "repo-a").add([first, first])
        DecisionLog(store, tmp_path / "repo-b").add([record("accepted", ["rename"])])
    with open_store(location, tmp_path) as store:
        (kept,) = DecisionLog(store, tmp_path / "repo-a").records()
        assert (kept.verdict, kept.kinds) == ("rejected", ["format"])
        assert DecisionLog(store, tmp_path / "repo-a").clear() == 1
        assert DecisionLog(store, tmp_path / "repo-a").records() == []
        assert len(DecisionLog(store, tmp_path / "repo-b").records()) == 1


PYPROJECT = (
    '[tool.pytest.ini_options]\npythonpath = ["."]\n\n[tool.ruff.lint]\nselect = ["F", "N"]\n'
)
PRICING = '''"""Prices."""
import os


def getPrice(item):
    """Return the price of one item."""
    return {"apple": 1.0}[item]
'''
# No tests: what is learned does not depend on them, and a run without them is quick.
SHOP = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": '"""A shop."""\n',
    "shop/pricing.py": PRICING,
    "shop/cart.py": (
        '"""A cart."""\nfrom shop.pricing import getPrice\n\n\n'
        'def total(items):\n    """Return the total."""\n    return sum(map(getPrice, items))\n'
    ),
}


@contextmanager
def graph_with_memory(repo: Path, tmp_path: Path):
    location = str(tmp_path / "checkpoints.sqlite")
    with open_checkpointer(location, repo) as saver, open_store(location, repo) as store:
        yield build_graph(checkpointer=saver, store=store), store


def pause(graph, repo: Path, thread: str) -> ApprovalRequest:
    config = {"configurable": {"thread_id": thread}}
    graph.invoke({"request": Request(repo=str(repo), files=["shop/pricing.py"]).dump()},
                 config, context=OFFLINE)
    snapshot = graph.get_state(config)
    assert snapshot.next == ("approve",), snapshot.values.get("reason")
    return ApprovalRequest.model_validate(snapshot.tasks[0].interrupts[-1].value)


def candidates_of(graph, thread: str) -> list[Candidate]:
    values = graph.get_state({"configurable": {"thread_id": thread}}).values
    return [Candidate.model_validate(c) for c in values["candidates"]]


def test_rejections_stored_before_revisions_had_a_name_load_as_what_they_were(tmp_path):
    # Older records: "rejected" for every rejection, and no field added since.
    stored = {"thread_id": "t", "candidate_id": "c1", "target": "a.py", "engine": "ruff",
              "kinds": ["lint-fix"], "addresses": ["F401"], "at": "2025-01-01T00:00:00+00:00"}
    with open_store(str(tmp_path / "store.sqlite"), tmp_path) as store:
        log = DecisionLog(store, tmp_path / "repo")
        store.put(log.namespace, "t:c1", {**stored, "verdict": "rejected", "feedback": "more"})
        store.put(log.namespace, "t:c2", {**stored, "verdict": "rejected", "candidate_id": "c2"})
        assert [r.verdict for r in log.records()] == ["revised", "rejected"]


def test_a_rejection_is_recorded_with_its_kinds_score_and_feedback(make_repo, tmp_path):
    repo = make_repo(SHOP)
    with graph_with_memory(repo, tmp_path) as (graph, store):
        shown = pause(graph, repo, "r1").proposals[0]
        graph.invoke(Command(resume={"action": "reject", "feedback": "keep public names"}),
                     {"configurable": {"thread_id": "r1"}}, context=OFFLINE)
        (rejected, *_) = DecisionLog(store, repo).records()
    assert rejected.thread_id == "r1"
    assert rejected.candidate_id == shown.candidate_id
    assert (rejected.verdict, rejected.feedback) == ("revised", "keep public names")
    assert "rename" in rejected.kinds and "N802" in rejected.addresses
    assert rejected.score == shown.score


def test_a_later_run_skips_what_the_human_kept_rejecting_and_says_so(make_repo, tmp_path):
    repo = make_repo(SHOP)
    with graph_with_memory(repo, tmp_path) as (graph, store):
        DecisionLog(store, repo).add(
            record("rejected", ["rename"], ["N802"], target="shop/pricing.py", n=n)
            for n in range(2)
        )
        request = pause(graph, repo, "r2")
    (proposal,) = request.proposals
    assert "rename" not in proposal.engine and "get_price" not in proposal.diff
    assert "-import os" in proposal.diff
    assert request.notes == [
        "left N802 findings in shop/pricing.py alone: you rejected 2 times in this repository "
        "(on shop/pricing.py), accepted 0"]


def reject(graph, thread: str, feedback: str | None = None) -> tuple:
    config = {"configurable": {"thread_id": thread}}
    graph.invoke(Command(resume={"action": "reject", "feedback": feedback}), config,
                 context=OFFLINE)
    return graph.get_state(config).next


def test_rejecting_with_feedback_twice_leaves_the_candidates_kinds_to_later_runs(
    make_repo, tmp_path
):
    repo = make_repo(SHOP)
    with graph_with_memory(repo, tmp_path) as (graph, store):
        first = pause(graph, repo, "asks").proposals[0]
        assert "-import os" in first.diff
        assert reject(graph, "asks", "rename getPrice to price_of") == ("approve",)
        assert reject(graph, "asks", "and say why in the docstring") == ("approve",)
        asked = DecisionLog(store, repo).records()
        later = pause(graph, repo, "later")
    assert [r.verdict for r in asked] == ["revised", "revised"]
    assert later.notes == []
    assert "-import os" in later.proposals[0].diff


def test_sending_renames_back_until_the_approved_one_keeps_the_names_ranks_renames_down(
    make_repo, tmp_path
):
    repo = make_repo(SHOP)
    config = {"configurable": {"thread_id": "names"}}
    with graph_with_memory(repo, tmp_path) as (graph, store):
        shown = pause(graph, repo, "names").proposals[0]
        while "rename" in shown.engine:
            assert reject(graph, "names", "keep public names") == ("approve",)
            snapshot = graph.get_state(config)
            shown = ApprovalRequest.model_validate(snapshot.tasks[0].interrupts[-1].value
                                                   ).proposals[0]
        graph.invoke(Command(resume={"action": "approve"}), config, context=OFFLINE)
        records = DecisionLog(store, repo).records()
        later = pause(graph, repo, "later").proposals[0]
    (accepted,) = [r for r in records if r.verdict == "accepted"]
    revised = [r for r in records if r.verdict == "revised"]
    assert len(revised) == len(records) - 1 >= 1
    assert "rename" not in accepted.kinds
    assert all("rename" in r.dropped_kinds and "N802" in r.dropped_addresses for r in revised)
    assert Profile.of(records).edits["rename"].effect in ("ranked down", "skipped")
    assert "rename" not in later.engine and "-import os" in later.diff


def test_two_plain_rejections_still_skip_the_kinds_in_later_runs(make_repo, tmp_path):
    repo = make_repo(SHOP)
    with graph_with_memory(repo, tmp_path) as (graph, store):
        for thread in ("no", "no again"):
            pause(graph, repo, thread)
            assert reject(graph, thread) == ()
        rejected = DecisionLog(store, repo).records()
        config = {"configurable": {"thread_id": "later"}}
        graph.invoke({"request": Request(repo=str(repo), files=["shop/pricing.py"]).dump()},
                     config, context=OFFLINE)
        notes = graph.get_state(config).values["notes"]
    assert [r.verdict for r in rejected] == ["rejected", "rejected"]
    assert ("left F401 findings in shop/pricing.py alone: you rejected 2 times in this "
            "repository (on shop/pricing.py), accepted 0") in notes


def test_the_skip_note_names_the_files_the_rejections_were_on_not_the_file_at_hand(
    make_repo, tmp_path
):
    repo = make_repo(SHOP)
    with graph_with_memory(repo, tmp_path) as (graph, store):
        DecisionLog(store, repo).add(
            record("rejected", ["rename"], ["N802"], target="shop/cart.py", n=n)
            for n in range(2)
        )
        request = pause(graph, repo, "elsewhere")
    assert request.notes == [
        "left N802 findings in shop/pricing.py alone: you rejected 2 times in this repository "
        "(on shop/cart.py), accepted 0"]


def test_past_feedback_on_a_file_reaches_its_generation(make_repo, tmp_path):
    # Nothing in this repository asks for a rename (no naming rules): only the
    # feedback the human gave on the file in an earlier run does.
    repo = make_repo({**SHOP, "pyproject.toml": PYPROJECT.replace('"F", "N"', '"F"')})
    with graph_with_memory(repo, tmp_path) as (graph, store):
        DecisionLog(store, repo).add([record(
            "rejected", ["lint-fix"], ["F401"], target="shop/pricing.py",
            feedback="rename getPrice to price_of while you are at it")])
        pause(graph, repo, "r3")
        made = candidates_of(graph, "r3")
    (renamed, *_) = [c for c in made if c.engine.startswith("rename")]
    assert "def price_of(item):" in renamed.content_of("shop/pricing.py")
    assert "from shop.pricing import price_of" in renamed.content_of("shop/cart.py")


def test_findings_the_human_keeps_rejecting_are_left_alone_while_others_are_fixed(
    make_repo, tmp_path
):
    typed = '"""Stock."""\nimport os\nfrom typing import Dict\n\nSTOCK: Dict[str, int] = {}\n'
    repo = make_repo({**SHOP, "shop/pricing.py": typed, "shop/cart.py": '"""A cart."""\n',
                      "pyproject.toml": PYPROJECT.replace('"F", "N"', '"F", "UP"')})
    with graph_with_memory(repo, tmp_path) as (graph, store):
        DecisionLog(store, repo).add([
            record("rejected", ["lint-fix"], ["F401", "UP006", "UP035"], "shop/pricing.py", n=1),
            record("accepted", ["lint-fix"], ["F401"], "shop/pricing.py", n=2),
            record("rejected", ["lint-fix"], ["UP006", "UP035"], "shop/pricing.py", n=3),
        ])
        request = pause(graph, repo, "r4")
    (proposal,) = request.proposals
    assert "-import os" in proposal.diff
    assert "STOCK: Dict[str, int]" in proposal.diff and "+STOCK: dict" not in proposal.diff
    assert ("left UP006 findings in shop/pricing.py alone: you rejected 2 times in this "
            "repository (on shop/pricing.py), accepted 0") in request.notes


@pytest.mark.parametrize(("engine", "alongside", "credited"), [
    ("ruff", [], True),  # alone, the fewer failures are its own
    ("ruff", ["c1"], False),  # beside another target's repair, they may be that one's
    ("repair+ruff", ["c1"], True),
])
def test_fewer_failing_tests_are_credited_to_a_candidate_only_when_they_are_its_own(
    engine, alongside, credited,
):
    from healloop.learning import DecisionRecord
    from healloop.state import Candidate, Evaluation, ReviewReport, TestResult, TestRun

    def run(*outcomes: str) -> TestRun:
        return TestRun(results=[TestResult(nodeid=f"t.py::test_{n}", outcome=o)
                                for n, o in enumerate(outcomes)])

    candidate = Candidate(id="c2", target="keys.py", engine=engine, iteration=1,
                          changes=[FileChange(path="keys.py", content="")])
    evaluation = Evaluation(candidate_id="c2", target="keys.py", score=1.0,
                            tests=run("passed", "passed"), alongside=alongside)
    review = ReviewReport(target="keys.py", tests=run("failed", "passed"))
    record = DecisionRecord.of("t1", "accepted", candidate, evaluation, review, None)
    assert ("failing-test" in record.addresses) is credited
