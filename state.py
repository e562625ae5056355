"""The shared state of a healing run and the reports that flow through it.

The graph state is a TypedDict of plain JSON data so that it survives every
checkpointer (SQLite, PostgreSQL) and the LangGraph API server without pickling.
Each report has a pydantic model: nodes validate what they read with
``Model.model_validate`` and dump what they write with ``model_dump(mode="json")``.

What a run must achieve (targets, threshold, iteration budget) is the request and
lives in the state, so routing stays a pure function of the state. How a run works
(engine, model, key, sandbox limits) is run context: see ``healloop.context``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

Severity = Literal["info", "warning", "error"]
FindingSource = Literal["ruff", "syntax", "pytest", "metrics", "llm", "api"]
TestOutcome = Literal["passed", "failed", "error", "skipped", "timeout"]
RunStatus = Literal[
    "running", "awaiting_approval", "accepted", "rejected", "no_improvement", "error"
]
ApprovalAction = Literal["approve", "reject"]
SymbolKind = Literal["function", "class", "constant", "attribute", "module", "unknown"]


class Report(BaseModel):
    """Base of every report: JSON in, JSON out."""

    def dump(self) -> dict[str, Any]:
        """Return the report as plain JSON data for the graph state."""
        return self.model_dump(mode="json")


class Request(Report):
    """What the user asked for: heal these files of this repository."""

    repo: str = Field(description="Absolute path of the repository root.")
    files: list[str] = Field(description="Targets, POSIX paths relative to the repo.")
    threshold: float = Field(0.7, ge=0.0, le=1.0, description="Score to accept.")
    iterations: int = Field(3, ge=1, description="Max generate/evaluate rounds.")
    output: str | None = Field(None, description="Write the healed target here.")
    apply: bool = Field(False, description="Write the healed targets in place.")


class Finding(Report):
    """One problem in the code, from an analyser, a test run or a model."""

    file: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    rule: str = Field(description="Rule code: ruff code, 'syntax', test id, ...")
    source: FindingSource
    severity: Severity = "warning"
    message: str
    fixable: bool = False
    rationale: str | None = None


class TestResult(Report):
    """The outcome of one test."""

    __test__ = False  # not a pytest test class, despite the name

    nodeid: str
    outcome: TestOutcome
    duration: float = 0.0
    message: str = ""
    outside: str = Field("", description=(
        "Set when the test failed on an OSError or ImportError raised outside the "
        "project's code with no frame of it on the way (a program, file, service or "
        "package that is not there), or on a distribution's missing metadata: the "
        "error, in a line."))
    lacks: str = Field("", description=(
        "Set when the test failed on an API its environment lacks that the project's code "
        "asked for: an attribute of a module, or a name or module to import, that is not "
        "the project's (\"AttributeError: module 'inspect' has no attribute "
        "'getargspec'\"): the error, in a line."))
    through: list[str] = Field(default_factory=list, description=(
        "With lacks: the files of the repository the failure's traceback went through."))


class CollectionError(Report):
    """Tests pytest could not collect, so they did not run: a file, a folder, or all."""

    path: str = Field(description=(
        "The test file, or the folder whose conftest failed; '' when no test could run."))
    message: str = Field(description="The telling line of the error, e.g. the exception.")
    outside: str = Field("", description=(
        "Set when the file failed on an OSError, or on a module neither the project nor "
        "the environment has, with no frame of the project's code on the way: the "
        "exception, e.g. \"ModuleNotFoundError: No module named 'hypothesis'\"."))
    lacks: str = Field("", description=(
        "Set when the file failed on an API its environment lacks that the project's code "
        "asked for (see TestResult.lacks): the error, in a line."))
    through: list[str] = Field(default_factory=list, description=(
        "With lacks: the files of the repository the failure's traceback went through."))

    def covers(self, test: str) -> bool:
        """Return whether the test (a node id or a test file) is among those not collected."""
        path = test.split("::", 1)[0]
        return not self.path or path == self.path or path.startswith(self.path + "/")


class TestRun(Report):
    """The outcome of one pytest run in a scratch copy."""

    __test__ = False  # not a pytest test class, despite the name

    results: list[TestResult] = []
    duration: float = 0.0
    timed_out: bool = False
    errors: list[str] = Field(default=[], description="Collection/infra errors, in full.")
    uncollected: list[CollectionError] = Field(
        default=[], description="What pytest could not collect: those tests never ran."
    )
    selected: list[str] = Field(default=[], description="Test paths that were run.")
    deselected: int = Field(
        0, description="Tests the suite's own options deselect (-m, -k in addopts): not "
        "run, as in the suite's run."
    )
    ignored: list[str] = Field(
        default=[], description="Test files asked for that the suite's conftests leave out "
        "(collect_ignore, pytest_ignore_collect): not run, as in the suite's own run."
    )
    isolation: list[str] = Field(
        default=[], description="Isolation missing from this run, one note per layer."
    )
    limits_hit: list[str] = Field(
        default=[], description="Limits the run ran into: timeouts, processes, CPU, memory."
    )
    flaky: list[str] = Field(
        default=[], description="Tests that failed, then passed when run again alone on the "
        "same code: counted as passed, and said."
    )
    outside: list[str] = Field(
        default=[], description="Tests that failed outside the project's code (see "
        "TestResult.outside) and did not pass before, and test files that could not be "
        "collected for such a reason (CollectionError.outside): left out as skipped, and said."
    )

    dropped_options: list[str] = Field(
        default=[], description="Words of the repository's pytest addopts that this "
        "Python's pytest does not know (a plugin's options, --cov or -n, where it is not "
        "installed): the run went on without them, and said so.")

    def ids(self, *outcomes: TestOutcome) -> set[str]:
        """Return the node ids of the tests with one of these outcomes."""
        return {r.nodeid for r in self.results if r.outcome in outcomes}

    @property
    def passed(self) -> set[str]:
        """Node ids of passing tests."""
        return self.ids("passed")

    @property
    def failing(self) -> set[str]:
        """Node ids of tests that failed, errored or timed out."""
        return self.ids("failed", "error", "timeout")

    def uncollected_text(self) -> str:
        """Say in a line what pytest could not collect, and why ('' when nothing)."""
        whole = next((e for e in self.uncollected if not e.path), None)
        if whole is not None:
            return f"no test could run: {whole.message}"
        parts = [f"{e.path} ({e.message})" for e in self.uncollected[:3]]
        more = f" and {len(self.uncollected) - 3} more" if len(self.uncollected) > 3 else ""
        return "could not collect " + "; ".join(parts) + more if parts else ""

    def collects(self, nodeid: str) -> bool:
        """Return whether the test (or test file) was collected, as far as the run knows."""
        return not any(e.covers(nodeid) for e in self.uncollected)


class Metrics(Report):
    """Simple size and complexity measures of one file."""

    lines: int = 0
    code_lines: int = 0
    functions: int = 0
    max_complexity: int = 0
    mean_complexity: float = 0.0


class ReviewReport(Report):
    """What review found in one target: analysers' findings, tests, metrics."""

    target: str
    parses: bool = True
    findings: list[Finding] = []
    metrics: Metrics = Metrics()
    tests: TestRun | None = Field(None, description="Baseline run of tests reaching it.")
    notes: list[str] = []


class ReviewSet(Report):
    """The reviews of several targets in one file, as ``healloop review`` writes them."""

    reviews: list[ReviewReport] = Field(description="One review per target, in the order asked.")


class SymbolUse(Report):
    """One place where a dependent uses a symbol of the target."""

    symbol: str
    kind: SymbolKind = "unknown"
    file: str
    line: int


class Dependent(Report):
    """A module that imports the target, directly (depth 1) or transitively."""

    module: str
    file: str
    depth: int = 1
    symbols: list[str] = []
    uses: list[SymbolUse] = []
    via: list[str] = Field(default=[], description="Files it imports that lead to the target.")
    risk: float = Field(0.0, ge=0.0, le=1.0, description="How likely a change breaks it.")


class CoChange(Report):
    """A file that changed together with the target in git history."""

    file: str
    support: int
    confidence: float


class RelatedFile(Report):
    """A file likely to need a change when the target changes, with the evidence."""

    file: str
    score: float = Field(ge=0.0, le=1.0)
    reasons: dict[str, float] = Field(default={}, description=(
        "The evidence that moved the score, by kind, in [0, 1], the weightiest first."))


class Decision(Report):
    """A commit that introduced lines of the target: the decision trail."""

    commit: str
    date: str
    author: str = ""
    message: str
    lines: list[int] = []
    links: list[str] = Field(
        default=[], description="PRs, issues, ADRs the knowledge graph ties to the commit."
    )


class BlastRadius(Report):
    """What a change to one target can break, and what history says about it."""

    target: str
    module: str = ""
    dependents: list[Dependent] = []
    tests: list[str] = Field(default=[], description="Test files reaching the target.")
    test_functions: list[str] = []
    test_source: Literal["imports", "coverage"] = Field(
        "imports", description="How tests were found: imports, or a coverage map too."
    )
    co_changes: list[CoChange] = []
    decisions: list[Decision] = []
    related: list[RelatedFile] = Field(
        default=[], description="Files likeliest to change with the target, best first."
    )
    risk: float = Field(0.0, ge=0.0, le=1.0)
    risk_parts: dict[str, float] = {}
    notes: list[str] = Field(default=[], description="What could not be analysed.")

    def used_symbols(self) -> set[str]:
        """Return the target's symbols that dependents use."""
        return {s for d in self.dependents for s in d.symbols}


class FileChange(Report):
    """New content for one file of the repository."""

    path: str
    content: str


class Candidate(Report):
    """A proposed change: new content for the target, maybe for its call sites."""

    id: str
    target: str
    engine: str = Field(description="Which generator made it: ruff, repair, llm.")
    iteration: int
    changes: list[FileChange]
    summary: str = ""
    edits: list[str] = Field(default=[], description="Each edit in words.")
    stats: dict[str, float] = Field(default={}, description="Tried, seconds, tokens.")
    kinds: list[str] = Field(default=[], description="Edit kinds: lint-fix, format, rename...")
    addresses: list[str] = Field(default=[], description="Finding kinds it resolves.")
    preference: float = Field(
        0.0, description="Learned from past decisions: > 0 kinds the user accepts, < 0 rejects."
    )
    built_on: list[str] = Field(
        default=[], description="Other targets' candidates whose edits to shared files it holds."
    )

    def content_of(self, path: str) -> str | None:
        """Return the new content of path, or None when the candidate leaves it."""
        return next((c.content for c in self.changes if c.path == path), None)


class Gate(Report):
    """A hard condition a candidate must meet whatever its score."""

    name: str
    passed: bool
    detail: str = ""


class ScoreTerm(Report):
    """One weighted term of the score, with the measurement behind it."""

    name: str
    weight: float
    value: float = Field(ge=0.0, le=1.0)
    detail: str = ""


class Evaluation(Report):
    """The measured verdict on a candidate (or on the original, candidate 'original')."""

    candidate_id: str
    target: str
    score: float = Field(ge=0.0, le=1.0)
    gates: list[Gate] = []
    terms: list[ScoreTerm] = []
    tests: TestRun | None = None
    feedback: str = Field("", description="What the next generation should fix.")
    alongside: list[str] = Field(
        default=[], description="Other targets' candidates measured with it, in one tree."
    )

    @property
    def passed_gates(self) -> bool:
        """Whether every hard gate passed."""
        return all(g.passed for g in self.gates)


class TargetProposal(Report):
    """What the approver is shown for one target."""

    target: str
    candidate_id: str
    engine: str
    diff: str
    score: float
    original_score: float
    terms: list[ScoreTerm]
    summary: str = ""
    blast_radius: str = Field("", description="One-paragraph summary.")
    files: list[str] = Field(default=[], description="Every file the change writes.")
    needs: list[str] = Field(
        default=[], description="Targets whose changes this one builds on: approve together."
    )
    measured_with: list[str] = Field(
        default=[], description="Targets whose proposals were in the tree this one was "
        "measured in, when tests that failed before passed there: approved alone, its "
        "tests may not pass as shown.")


class TargetWithoutProposal(Report):
    """A target the approver is not asked about, and why it has nothing to propose."""

    target: str
    original_score: float
    best_score: float | None = Field(
        None, description="Score of its best candidate, below the threshold; None when no "
        "candidate beat the original.")
    measured: int = Field(0, description="How many of its candidates were measured.")
    reason: str = Field("", description="Why, when known: what held its candidates back, "
                        "what its engines said; one line.")


class ApprovalRequest(Report):
    """The payload of the approval interrupt."""

    kind: Literal["approval"] = "approval"
    threshold: float
    iteration: int
    proposals: list[TargetProposal]
    without: list[TargetWithoutProposal] = Field(
        default=[], description="The run's other targets: nothing to propose for them.")
    notes: list[str] = Field(default=[], description=(
        "What the run noticed: what learning changed, what engines said, tests not run."))
    problem: str = Field("", description="Why the last answer was refused; empty at first.")


class ApprovalDecision(Report):
    """The resume value of the approval interrupt."""

    action: ApprovalAction
    targets: list[str] | None = Field(None, description="Subset to approve; None=all.")
    feedback: str | None = None
    apply: bool = Field(False, description="With approve: write in place, whatever the run "
                        "was started with.")
    output: str | None = Field(None, description="With approve: write the one approved file "
                               "here (an absolute path), whatever the run was started with.")


def merge_by_target(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Merge per-target reports; the newer report for a target wins."""
    return {**(left or {}), **(right or {})}


def append_by_target(
    left: dict[str, list[str]], right: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Merge per-target lists by appending the newer items to the older."""
    merged = {k: list(v) for k, v in (left or {}).items()}
    for key, items in (right or {}).items():
        merged[key] = [*merged.get(key, []), *items]
    return merged


def add_usage(left: dict[str, float], right: dict[str, float]) -> dict[str, float]:
    """Sum model usage counters (calls, tokens_in, tokens_out, cost) key by key."""
    total = dict(left or {})
    for key, value in (right or {}).items():
        total[key] = round(total.get(key, 0) + value, 6)
    return total


class TargetTask(TypedDict):
    """The input a per-target node (review, blast_radius) gets from the fan-out."""

    request: dict[str, Any]
    """The Request of the run."""
    target: str
    """The one target this task works on."""


class HealState(TypedDict, total=False):
    """The shared state of a healing run. Every value is plain JSON data."""

    request: dict[str, Any]
    """The Request: repo, targets, threshold, budget. Set once."""
    settings: dict[str, Any]
    """The run context minus secrets, so a resume elsewhere runs the same way. Set once."""
    originals: Annotated[dict[str, str], merge_by_target]
    """Original content by path: targets (review) and call sites (generate); merged."""
    review: Annotated[dict[str, dict[str, Any]], merge_by_target]
    """ReviewReport per target; merged by target."""
    blast_radius: Annotated[dict[str, dict[str, Any]], merge_by_target]
    """BlastRadius per target; merged by target."""
    baseline: Annotated[dict[str, dict[str, Any]], merge_by_target]
    """Evaluation of each original, the bar a candidate must beat; by target."""
    candidates: Annotated[list[dict[str, Any]], operator.add]
    """Every Candidate generated so far; appended."""
    evaluations: Annotated[list[dict[str, Any]], operator.add]
    """Every Evaluation so far; appended."""
    iteration: int
    """Generate/evaluate rounds done; replaced."""
    best: dict[str, str]
    """Best candidate id per target so far; replaced."""
    rejected: Annotated[list[str], operator.add]
    """Ids of candidates the human rejected; never proposed again; appended."""
    feedback: Annotated[list[str], operator.add]
    """Feedback from the human on rejection; appended."""
    feedback_for: Annotated[dict[str, list[str]], append_by_target]
    """Feedback from the human for single targets, by target; appended per target."""
    notes: Annotated[list[str], operator.add]
    """What the run did differently because of past decisions, and why; appended."""
    usage: Annotated[dict[str, float], add_usage]
    """Model calls, tokens_in, tokens_out and cost (USD) so far; summed."""
    decision: dict[str, Any] | None
    """The ApprovalDecision of the last approval; replaced."""
    status: RunStatus
    """Where the run stands; replaced."""
    reason: str
    """Why the run ended the way it did; replaced."""
    written: list[str]
    """Paths apply wrote; replaced."""
