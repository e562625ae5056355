"""Several targets in one run: fan-out, fixes that depend on each other, subsets, renames."""

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from langgraph.types import Command

from healloop.checkpoint import open_checkpointer
from healloop.context import RunContext
from healloop.graph import build_graph
from healloop.nodes.evaluate import evaluate
from healloop.state import ApprovalRequest, Candidate, Evaluation, FileChange, Request

OFFLINE = RunContext(engine="offline", jobs=2)

PYPROJECT = (
    '[tool.pytest.ini_options]\npythonpath = ["."]\n\n'
    '[tool.ruff.lint]\nselect = ["E", "F", "N"]\n'
)
PRICING = '''"""Prices of items."""
import os

PRICES = {"apple": 1.0, "pear": 2.0}


def getPrice(item):
    """Return the price of one item."""
    return PRICES[item]
'''
CART = '''"""A cart of items."""
import sys

from shop.pricing import getPrice


def total(items):
    """Return the total price of items."""
    return sum(getPrice(i) for i in items)
'''
SHOP = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": '"""A shop."""\n',
    "shop/pricing.py": PRICING,
    "shop/cart.py": CART,
    "tests/test_pricing.py": (
        "from shop.pricing import getPrice\n\n\n"
        'def test_price():\n    assert getPrice("pear") == 2.0\n'
    ),
    "tests/test_cart.py": (
        "from shop.cart import total\n\n\n"
        'def test_total():\n    assert total(["apple", "pear"]) == 3.0\n'
    ),
}


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.sqlite"


@contextmanager
def paused(repo: Path, checkpoints: Path, files: list[str], thread: str,
           context: RunContext = OFFLINE):
    """Start a run; yield the graph, its config and the approval request it paused at."""
    with open_checkpointer(str(checkpoints), repo) as saver:
        graph = build_graph(checkpointer=saver)
        config = {"configurable": {"thread_id": thread}, "max_concurrency": 2}
        request = Request(repo=str(repo), files=files, apply=True)
        graph.invoke({"request": request.dump()}, config, context=context)
        snapshot = graph.get_state(config)
        assert snapshot.next == ("approve",), snapshot.values.get("reason")
        yield graph, config, ApprovalRequest.model_validate(snapshot.tasks[0].interrupts[0].value)


def resume(graph, config, decision: dict) -> dict:
    return graph.invoke(Command(resume=decision), config, context=OFFLINE)


def suite_passes(repo: Path) -> bool:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=repo, capture_output=True, check=False)
    return proc.returncode == 0


def evaluation_of(graph, config, cid: str) -> Evaluation:
    values = graph.get_state(config).values
    return next(Evaluation.model_validate(e) for e in values["evaluations"]
                if e["candidate_id"] == cid)


def test_a_fix_that_needs_the_other_targets_fix_is_measured_with_it(make_repo, checkpoints):
    # The cart's test already expects the new pricing API, so no change to the cart
    # alone can make it pass: only together with the rename in pricing does it.
    files = {**SHOP, "tests/test_cart.py": (
        "from shop.cart import total\n\n\n"
        "def test_total_prices_with_the_new_api():\n"
        "    from shop.pricing import get_price\n\n"
        '    assert total(["apple", "pear"]) == get_price("apple") + get_price("pear")\n'
    )}
    repo = make_repo(files)
    with paused(
        repo, checkpoints, ["shop/pricing.py", "shop/cart.py"], "dep"
    ) as (graph, config, payload):
        values = graph.get_state(config).values
        assert values["baseline"]["shop/cart.py"]["score"] < payload.threshold
        proposals = {p.target: p for p in payload.proposals}
        assert set(proposals) == {"shop/pricing.py", "shop/cart.py"}
        cart = evaluation_of(graph, config, proposals["shop/cart.py"].candidate_id)
        assert cart.score >= payload.threshold
        assert "tests/test_cart.py::test_total_prices_with_the_new_api" in cart.tests.passed
        result = resume(graph, config, {"action": "approve"})
    assert result["status"] == "accepted"
    cart_now = (repo / "shop/cart.py").read_text()
    assert "import sys" not in cart_now and "get_price(i)" in cart_now
    assert "def get_price(item):" in (repo / "shop/pricing.py").read_text()
    assert suite_passes(repo)


def test_a_requested_rename_is_carried_to_every_call_site_and_evaluated(make_repo, checkpoints):
    repo = make_repo(SHOP)
    with paused(
        repo, checkpoints, ["shop/pricing.py"], "rename"
    ) as (graph, config, payload):
        (proposal,) = payload.proposals
        assert "rename" in proposal.engine
        assert proposal.files == ["shop/pricing.py", "shop/cart.py", "tests/test_pricing.py"]
        assert "+from shop.pricing import get_price" in proposal.diff
        assert "+    return sum(get_price(i) for i in items)" in proposal.diff
        evaluation = evaluation_of(graph, config, proposal.candidate_id)
        assert evaluation.passed_gates
        # The call sites' own tests ran too, with every edit of the change in place.
        assert {"tests/test_cart.py::test_total", "tests/test_pricing.py::test_price"} <= (
            evaluation.tests.passed)
        # The same rename without its call sites breaks the dependents: the API gate says so.
        values = graph.get_state(config).values
        renamed = values["originals"]["shop/pricing.py"].replace("getPrice", "get_price")
        alone = Candidate(id="c99", target="shop/pricing.py", engine="test", iteration=1,
                          changes=[FileChange(path="shop/pricing.py", content=renamed)])
        update = evaluate({**values, "candidates": [*values["candidates"], alone.dump()]},
                          SimpleNamespace(context=OFFLINE))
        (uncarried,) = [Evaluation.model_validate(e) for e in update["evaluations"]]
        gate = next(g for g in uncarried.gates if g.name == "api_compatible")
        assert not gate.passed and "getPrice" in gate.detail
        assert uncarried.score == 0.0
        result = resume(graph, config, {"action": "approve"})
    assert result["status"] == "accepted"
    assert sorted(Path(p).relative_to(repo).as_posix() for p in result["written"]) == [
        "shop/cart.py", "shop/pricing.py", "tests/test_pricing.py"]
    changed = ("shop/pricing.py", "shop/cart.py", "tests/test_pricing.py")
    assert "getPrice" not in "".join((repo / p).read_text() for p in changed)
    assert suite_passes(repo)


def test_a_rename_is_carried_to_the_targets_stub_though_nothing_else_uses_it(
    make_repo, checkpoints,
):
    stub = "PRICES: dict[str, float]\n\ndef getPrice(item: str) -> float: ...\n"
    repo = make_repo({"pyproject.toml": PYPROJECT, "shop/__init__.py": '"""A shop."""\n',
                      "shop/pricing.py": PRICING, "shop/pricing.pyi": stub})
    with paused(repo, checkpoints, ["shop/pricing.py"], "stub") as (graph, config, payload):
        (proposal,) = payload.proposals
        assert proposal.files == ["shop/pricing.py", "shop/pricing.pyi"]
        resume(graph, config, {"action": "approve"})
    assert (repo / "shop/pricing.pyi").read_text() == stub.replace("getPrice", "get_price")


# Two targets that do not touch each other, and no tests: the decisions are the point.
INDEPENDENT = {
    "pkg/__init__.py": '"""Package."""\n',
    "pkg/one.py": '"""One."""\nimport os\n\n\ndef one():\n    """Return 1."""\n    return 1\n',
    "pkg/two.py": '"""Two."""\nimport sys\n\n\ndef two():\n    """Return 2."""\n    return 2\n',
}


def test_approving_a_subset_writes_only_the_chosen_targets(make_repo, checkpoints):
    repo = make_repo(INDEPENDENT)
    before = (repo / "pkg/two.py").read_text()
    with paused(
        repo, checkpoints, ["pkg/one.py", "pkg/two.py"], "subset"
    ) as (graph, config, payload):
        assert {p.target for p in payload.proposals} == {"pkg/one.py", "pkg/two.py"}
        result = resume(graph, config, {"action": "approve", "targets": ["pkg/one.py"]})
    assert result["status"] == "accepted"
    assert "import os" not in (repo / "pkg/one.py").read_text()
    assert (repo / "pkg/two.py").read_text() == before


def test_rejecting_one_target_asks_again_about_the_others(make_repo, checkpoints):
    repo = make_repo(INDEPENDENT)
    before = (repo / "pkg/two.py").read_text()
    with paused(
        repo, checkpoints, ["pkg/one.py", "pkg/two.py"], "reject-one"
    ) as (graph, config, _):
        resume(graph, config, {"action": "reject", "targets": ["pkg/two.py"]})
        snapshot = graph.get_state(config)
        assert snapshot.next == ("approve",)
        again = ApprovalRequest.model_validate(snapshot.tasks[0].interrupts[0].value)
        assert [p.target for p in again.proposals] == ["pkg/one.py"]
        result = resume(graph, config, {"action": "approve"})
    assert result["status"] == "accepted"
    assert "import os" not in (repo / "pkg/one.py").read_text()
    assert (repo / "pkg/two.py").read_text() == before


def test_feedback_for_one_target_goes_to_that_targets_generation_only(make_repo, checkpoints):
    repo = make_repo(INDEPENDENT)
    with paused(
        repo, checkpoints, ["pkg/one.py", "pkg/two.py"], "feedback"
    ) as (graph, config, first):
        shown = {p.target: p.candidate_id for p in first.proposals}
        resume(graph, config, {"action": "reject", "targets": ["pkg/two.py"],
                               "feedback": "keep the sys import"})
        state = graph.get_state(config)
        assert state.values["feedback_for"] == {"pkg/two.py": ["keep the sys import"]}
        assert state.values.get("feedback", []) == []
        assert shown["pkg/two.py"] in state.values["rejected"]
        assert shown["pkg/one.py"] not in state.values["rejected"]
        assert state.values["best"].get("pkg/one.py") == shown["pkg/one.py"]


def test_a_fix_that_clashes_with_another_targets_change_builds_on_it(make_repo, checkpoints):
    # Both the rename in pricing and the cart's own lint fix rewrite the cart's import
    # line: the cart's first candidate cannot be applied with the rename, so the next
    # round builds the cart's fix on top of it, and the two are approved together.
    shared_line = CART.replace("from shop.pricing import getPrice",
                               "from shop.pricing import PRICES, getPrice")
    untested = {k: v for k, v in SHOP.items() if not k.startswith("tests/")}
    repo = make_repo({**untested, "shop/cart.py": shared_line})
    with paused(
        repo, checkpoints, ["shop/pricing.py", "shop/cart.py"], "clash"
    ) as (graph, config, payload):
        values = graph.get_state(config).values
        clashed = [e for e in values["evaluations"]
                   if any(g["name"] == "composes" and not g["passed"] for g in e["gates"])]
        assert clashed, "the cart's first candidate should clash with the rename"
        ids = {p.target: p.candidate_id for p in payload.proposals}
        cart = Candidate.model_validate(
            next(c for c in values["candidates"] if c["id"] == ids["shop/cart.py"]))
        assert cart.built_on == [ids["shop/pricing.py"]]
        assert "from shop.pricing import get_price\n" in cart.content_of("shop/cart.py")
        assert next(p for p in payload.proposals if p.target == "shop/cart.py").needs == [
            "shop/pricing.py"]
        resume(graph, config, {"action": "approve", "targets": ["shop/cart.py"]})
        snapshot = graph.get_state(config)
        assert snapshot.next == ("approve",)
        again = ApprovalRequest.model_validate(snapshot.tasks[0].interrupts[-1].value)
        assert "builds on the change to shop/pricing.py" in again.problem
        result = resume(graph, config, {"action": "approve"})
    assert result["status"] == "accepted"
    assert "from shop.pricing import get_price\n" in (repo / "shop/cart.py").read_text()
    check = "from shop.cart import total; assert total(['apple', 'pear']) == 3.0"
    assert subprocess.run([sys.executable, "-c", check], cwd=repo, check=False).returncode == 0


def test_an_output_chosen_on_approval_takes_one_target_changed_in_one_file():
    from healloop.nodes.approve import check_decision
    from healloop.state import TargetProposal

    def proposal(target: str, files: list[str]) -> TargetProposal:
        return TargetProposal(target=target, candidate_id=target, engine="test", diff="",
                              score=0.9, original_score=0.5, terms=[], files=files)

    request = ApprovalRequest(threshold=0.7, iteration=1, proposals=[
        proposal("pkg/one.py", ["pkg/one.py"]),
        proposal("shop/pricing.py", ["shop/pricing.py", "shop/cart.py"])])
    out = {"action": "approve", "output": "/elsewhere/x.py"}
    assert "takes one target" in check_decision(out, request)
    assert check_decision({**out, "targets": ["pkg/one.py"]}, request).output == out["output"]
    refused = check_decision({**out, "targets": ["shop/pricing.py"]}, request)
    assert "one change to 2 files (shop/pricing.py, shop/cart.py)" in refused
    assert "--apply" in refused


def test_feedback_the_offline_engines_cannot_use_is_said_to_need_a_model(make_repo, checkpoints):
    repo = make_repo(INDEPENDENT)
    with paused(repo, checkpoints, ["pkg/one.py"], "unheard") as (graph, config, _):
        resume(graph, config, {"action": "reject", "feedback": "keep the import, add a docstring"})
        notes = graph.get_state(config).values["notes"]
    assert any(n.startswith("the offline engines act on feedback only to rename") and
               "pkg/one.py needs a model" in n for n in notes), notes


def test_the_approval_says_why_each_other_target_has_no_proposal(tmp_path):
    from healloop.console import without_text
    from healloop.nodes.approve import approval_request

    def evaluation(cid: str, target: str, score: float, **extra) -> dict:
        return Evaluation(candidate_id=cid, target=target, score=score, **extra).dump()

    def changed(cid: str, target: str) -> dict:
        return Candidate(id=cid, target=target, engine="test", iteration=1,
                         changes=[FileChange(path=target, content="X = 2\n")]).dump()

    files = ["a.py", "b.py", "c.py"]
    state = {
        "request": Request(repo=str(tmp_path), files=files, threshold=0.7).dump(),
        "originals": dict.fromkeys(files, "X = 1\n"),
        "baseline": {t: evaluation("original", t, 0.5) for t in files},
        "candidates": [changed("c1", "a.py"), changed("c2", "b.py"), changed("c3", "c.py")],
        "evaluations": [
            evaluation("c1", "a.py", 0.9),
            evaluation("c2", "b.py", 0.6, feedback="failing tests: tests/test_b.py::test_b\n"
                                                   "lint: 3: F401 unused import"),
            evaluation("c3", "c.py", 0.0, gates=[{"name": "no_regression", "passed": False,
                                                  "detail": "breaks test_c"}]),
        ],
        "best": {"a.py": "c1", "b.py": "c2"},
        "notes": ["repair of c.py: 30 edit(s) tried in 5s, none made 1 failing test(s) pass",
                  "repair of c.py: 12 edit(s) tried in 3s, none made 1 failing test(s) pass",
                  "repair of abc.py: a note on another file",
                  # Another target's note that points at c.py is not c.py's own.
                  "repair of a.py: 5 edit(s) tried, the failing tests point at c.py line 3",
                  "repair of b.py: 7 edit(s) tried, the failing tests point at c.py line 3"],
    }
    request = approval_request(state)
    assert [p.target for p in request.proposals] == ["a.py"]
    assert [without_text(w, 0.7) for w in request.without] == [
        "b.py: no proposal: best 0.60 < threshold 0.70 (original 0.50); "
        "failing tests: tests/test_b.py::test_b",
        "c.py: no proposal: 1 candidate(s) measured, none to propose (original 0.50); "
        "1 failed a gate, e.g. c3 no_regression: breaks test_c; "
        "repair of c.py: 12 edit(s) tried in 3s, none made 1 failing test(s) pass",
    ]
