"""Routing is a pure function of the state: a table of states and where they go."""

import pytest

from healloop.graph.routing import after_approve, after_evaluate


def state(*, best=None, scores=None, iteration=1, iterations=3, fresh=True, decision=None):
    """A state for one target t.py whose original scored 0.4."""
    scores = scores or {}
    return {
        "request": {"repo": "/r", "files": ["t.py"], "threshold": 0.7, "iterations": iterations},
        "baseline": {"t.py": {"candidate_id": "original", "target": "t.py", "score": 0.4}},
        "candidates": [{"id": cid, "iteration": iteration if fresh else 0} for cid in scores],
        "evaluations": [{"candidate_id": cid, "target": "t.py", "score": s}
                        for cid, s in scores.items()],
        "best": best or {},
        "iteration": iteration,
        "decision": decision,
    }


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (state(best={"t.py": "c1"}, scores={"c1": 0.9}), "approve"),
        (state(best={"t.py": "c1"}, scores={"c1": 0.7}), "approve"),
        (state(best={"t.py": "c1"}, scores={"c1": 0.6}), "generate"),
        (state(scores={"c1": 0.0}), "generate"),
        (state(best={"t.py": "c1"}, scores={"c1": 0.6}, iteration=3), "conclude"),
        (state(scores={"c1": 0.0}, iteration=3), "conclude"),
        (state(best={"t.py": "c1"}, scores={"c1": 0.6}, fresh=False), "conclude"),
        (state(best={"t.py": "c1"}, scores={"c1": 0.95}, iteration=3), "approve"),
    ],
    ids=["above", "at-threshold", "below-budget-left", "nothing-better-budget-left",
         "below-budget-spent", "nothing-better-budget-spent", "round-produced-nothing",
         "above-on-last-round"],
)
def test_after_evaluate(case, expected):
    assert after_evaluate(case) == expected


@pytest.mark.parametrize(
    ("decision", "iteration", "expected"),
    [
        ({"action": "approve"}, 1, "apply"),
        ({"action": "approve", "targets": ["t.py"]}, 3, "apply"),
        ({"action": "reject", "feedback": "keep the name"}, 1, "generate"),
        ({"action": "reject", "feedback": "keep the name"}, 3, "conclude"),
        ({"action": "reject"}, 1, "conclude"),
    ],
    ids=["approve", "approve-subset", "reject-feedback", "reject-feedback-no-budget",
         "reject-plain"],
)
def test_after_approve(decision, iteration, expected):
    assert after_approve(state(iteration=iteration, decision=decision)) == expected


@pytest.mark.parametrize(
    ("best", "expected"),
    [({"t.py": "c1"}, "approve"), ({}, "conclude")],
    ids=["others-still-undecided", "nothing-left"],
)
def test_rejecting_some_targets_asks_again_about_the_rest(best, expected):
    decision = {"action": "reject", "targets": ["u.py"]}
    case = state(best=best, scores={"c1": 0.9}, decision=decision)
    assert after_approve(case) == expected


def test_routing_refuses_an_impossible_state():
    with pytest.raises(ValueError, match="baseline"):
        after_evaluate({"request": {"repo": "/r", "files": ["t.py"]}})
    with pytest.raises(ValueError, match="decision"):
        after_approve(state())


def test_rejecting_what_the_others_were_measured_with_measures_them_again():
    decision = {"action": "reject", "targets": ["u.py"]}
    case = state(best={"t.py": "c1"}, scores={"c1": 0.9}, decision=decision)
    case["evaluations"][0]["alongside"] = ["c7"]
    assert after_approve({**case, "rejected": ["c7"]}) == "evaluate"
    assert after_approve({**case, "rejected": ["c8"]}) == "approve"


@pytest.mark.parametrize(
    ("decision", "expected"),
    [({"action": "reject", "targets": ["u.py"], "feedback": "shorter"}, "conclude"),
     ({"action": "reject", "feedback": "shorter"}, "generate"),
     ({"action": "reject", "targets": ["t.py"]}, "conclude")],
    ids=["feedback-for-another-target", "feedback-for-all", "rejected-without-feedback"],
)
def test_after_a_rejection_rounds_go_on_only_for_the_targets_sent_back(decision, expected):
    case = state(best={"t.py": "c1"}, scores={"c1": 0.6}, decision=decision)
    assert after_evaluate(case) == expected
