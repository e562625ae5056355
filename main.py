"""The healloop command line: a thin shell over the graph.

Exit codes: 0 accepted, 1 nothing reached the threshold or the change was rejected,
2 usage or input error (one line, no traceback), 3 paused for approval, 70 a bug (with
its traceback), 128 + the signal's number when SIGINT (Ctrl-C, 130), SIGTERM or SIGHUP
stopped it.
Heavy imports (langgraph, langchain) happen inside the commands that need them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

try:  # typer 0.2x and later raise from their own copy of click
    from typer import _click as click
except ImportError:  # older typer runs on click itself
    import click  # type: ignore[no-redef]
from typer.core import TyperGroup

from healloop import console
from healloop.errors import HealloopError, UsageError

if TYPE_CHECKING:
    from healloop.context import RunContext
    from healloop.session import Outcome
    from healloop.state import ApprovalDecision, ApprovalRequest



INTERNAL_ERROR = 70
"""Exit code of a bug (EX_SOFTWARE): 1 means nothing reached the threshold."""
INTERRUPTED = 130
"""Exit code after Ctrl-C (typer's, as a shell gives a command SIGINT ended)."""
_STOPPING_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
_received: list[int] = []
"""The signals that stopped the command, first first."""


def _on_signal(signum: int, frame: object) -> None:
    """Kill the sandboxed runs in flight, then unwind as Ctrl-C does.

    A signal reaches the main thread only: the threads running tests would wait for
    them (up to a test's timeout) before healloop could exit, and SIGTERM or SIGHUP
    would end healloop at once, its tests running on, its scratch copies left behind.
    """
    process = sys.modules.get("healloop.sandbox.process")
    if process is not None:  # not imported: nothing of ours runs
        process.stop_all()
    _received.append(signum)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _handle_signals() -> None:
    """Stop on SIGINT, SIGTERM and SIGHUP through _on_signal, unless they are ignored."""
    for name in _STOPPING_SIGNALS:
        number = getattr(signal, name, None)
        # An ignored signal stays ignored: nohup's SIGHUP, a background job's SIGINT.
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, _on_signal)


class _OneLineErrors(TyperGroup):
    """Report usage mistakes as one line on stderr and exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
            sys.exit(2)
        except click.ClickException as exc:
            typer.echo(f"healloop: error: {console.one_line(exc.format_message())}", err=True)
            sys.exit(2)
        except typer.Abort:
            typer.echo("healloop: aborted", err=True)
            sys.exit(1)
        except HealloopError as exc:
            typer.echo(f"healloop: error: {console.one_line(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except Exception:  # a bug: its traceback says where, its code is no outcome's
            traceback.print_exc()
            typer.echo("healloop: internal error, a bug in healloop: the traceback above "
                       "says where", err=True)
            sys.exit(INTERNAL_ERROR)
        if code == INTERRUPTED:  # typer's exit for Ctrl-C, which it leaves unsaid
            signum = _received[0] if _received else signal.SIGINT
            what = "interrupted" if signum == signal.SIGINT else (
                f"stopped by {signal.Signals(signum).name}")
            typer.echo(f"healloop: {what} (a run keeps what it finished: "
                       "`healloop runs` lists it)", err=True)
            sys.exit(128 + signum)
        sys.exit(code if isinstance(code, int) else 0)



app = typer.Typer(
    cls=_OneLineErrors,
    help="Self-healing code loop for Python repositories: review, blast radius, "
    "generate, evaluate, approve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich's help formatter alone costs half a second of start-up.
    rich_markup_mode=None,
)

Repo = Annotated[Path, typer.Option("--repo", help="Root of the repository to heal.")]
Checkpointer = Annotated[
    str | None,
    typer.Option(
        "--checkpointer",
        envvar="HEALLOOP_CHECKPOINTER",
        help="SQLite path or postgresql:// URL (default <repo>/.healloop/checkpoints.sqlite).",
    ),
]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print one JSON object as the last line of stdout.")
]
ReportPath = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Also write the run's report here: .json (full state), .md, .html or .sarif.",
    ),
]
Engine = Literal["auto", "offline", "llm"]


@app.command()
def run(
    repo: Repo,
    file: Annotated[
        list[str] | None,
        typer.Option("--file", help="Target .py file, UTF-8, at most 1 MB (repeat for several)."),
    ] = None,
    path: Annotated[
        list[Path] | None,
        typer.Option("--path", help="Heal every .py file under this folder, honouring "
                     ".gitignore (repeat for several)."),
    ] = None,
    iterations: Annotated[
        int, typer.Option(help="Max generate/evaluate rounds.")
    ] = 3,
    threshold: Annotated[
        float, typer.Option(help="Score in [0, 1] a candidate needs to be proposed.")
    ] = 0.7,
    output: Annotated[
        Path | None,
        typer.Option(help="Write the healed file here, leave the original alone."),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the healed files in place after approval.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve automatically.")] = False,
    engine: Annotated[
        Engine, typer.Option(help="offline (no model), llm, or auto (all available).")
    ] = "auto",
    model: Annotated[
        str, typer.Option(help="Chat model name, or provider:model.")
    ] = "gpt-4.1",
    api_key: Annotated[
        str | None, typer.Option(help="API key for the model (else OPENAI_API_KEY).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible server URL (else OPENAI_BASE_URL)."),
    ] = None,
    candidates: Annotated[int, typer.Option(help="LLM candidates per round.")] = 1,
    max_tokens_per_run: Annotated[
        int | None, typer.Option(help="Stop calling the model past this many tokens.")
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Stop calling the model past this cost (USD).")
    ] = None,
    judge: Annotated[bool, typer.Option(help="Add an LLM judge term to the score.")] = False,
    test_timeout: Annotated[float, typer.Option(help="Seconds one test may take.")] = 30.0,
    repair_seconds: Annotated[
        float, typer.Option(help="Seconds the offline repair engine may search for a fix of "
                            "failing tests, per target and round.")
    ] = 150.0,
    jobs: Annotated[
        int | None,
        typer.Option(help="Targets and candidates worked on at once (default: the cores)."),
    ] = None,
    thread_id: Annotated[
        str | None, typer.Option(help="Run id; an unfinished run with it continues.")
    ] = None,
    checkpointer: Checkpointer = None,
    report: ReportPath = None,
    as_json: JsonFlag = False,
) -> None:
    """Heal target files: review, generate, evaluate, then ask for approval."""
    from healloop import inputs
    from healloop.state import Request

    root = inputs.check_repo(repo)
    _check_report(report, root)
    if not file and not path:
        raise UsageError("name what to heal: --file FILE or --path DIR")
    targets = [inputs.check_target(root, f) for f in file or []]
    for folder in path or []:
        targets += [inputs.check_target(root, f) for f in inputs.targets_under(root, folder)]
    request = Request(
        repo=str(root),
        files=list(dict.fromkeys(targets)),
        threshold=inputs.check_threshold(threshold),
        iterations=inputs.check_count("--iterations", iterations),
        output=inputs.check_output(root, targets, output, apply),
        apply=apply,
    )
    ctx = _context(
        engine, model, api_key, base_url, judge=judge,
        candidates=inputs.check_count("--candidates", candidates),
        max_tokens_per_run=inputs.check_count("--max-tokens-per-run", max_tokens_per_run),
        max_cost=inputs.check_amount("--max-cost", max_cost),
        test_timeout=inputs.check_amount("--test-timeout", test_timeout),
        repair_seconds=inputs.check_amount("--repair-seconds", repair_seconds),
        jobs=inputs.check_count("--jobs", jobs),
    )
    inputs.check_model(ctx)
    from healloop import session

    prompt = console.Prompt(yes)
    outcome = session.start(
        request, ctx, thread_id=thread_id, checkpointer=checkpointer,
        approver=prompt, progress=console.noting(inputs.history_note(root)),
    )
    _report(report, root, checkpointer, outcome)
    console.finish(outcome, root, as_json, asked=prompt.asked)


@app.command()
def resume(
    thread_id: Annotated[str, typer.Argument(help="The run's thread id.")],
    repo: Repo,
    approve: Annotated[bool, typer.Option("--approve", help="Approve the proposal.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the proposal.")] = False,
    feedback: Annotated[
        str | None, typer.Option(help="With --reject: what the next candidate should do.")
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", help="Approve or reject only these.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="With --approve: write the healed file here, whatever "
                                  "the run was started with (one target).")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="With --approve: write in place, whatever the run "
                           "was started with.")
    ] = False,
    api_key: Annotated[str | None, typer.Option(help="API key for the model.")] = None,
    checkpointer: Checkpointer = None,
    report: ReportPath = None,
    as_json: JsonFlag = False,
) -> None:
    """Resume a paused run with a decision (or ask for one on a terminal)."""
    from healloop import inputs
    from healloop.state import ApprovalDecision

    root = inputs.check_repo(repo)
    _check_report(report, root)
    if approve and reject:
        raise UsageError("--approve and --reject exclude each other")
    if feedback and not reject:
        raise UsageError("--feedback goes with --reject")
    if (output is not None or apply) and not approve:
        raise UsageError("--apply and --output go with --approve")
    decision = None
    if approve or reject:
        chosen = [inputs.check_target(root, t) for t in target or []]
        decision = ApprovalDecision(
            action="approve" if approve else "reject", targets=chosen or None, feedback=feedback,
            apply=apply, output=inputs.check_output(root, chosen, output, apply, one=False),
        )
    from healloop import session

    prompt = console.Prompt(False)
    outcome = session.resume(
        thread_id, root, decision, checkpointer=checkpointer, approver=prompt,
        progress=console.progress, api_key=api_key or os.environ.get("OPENAI_API_KEY"),
    )
    _report(report, root, checkpointer, outcome)
    console.finish(outcome, root, as_json, asked=prompt.asked)


@app.command()
def runs(repo: Repo, checkpointer: Checkpointer = None, as_json: JsonFlag = False) -> None:
    """List checkpointed runs of the repository with their status and score."""
    from healloop import inputs, session

    outcomes = session.list_runs(inputs.check_repo(repo), checkpointer)
    if as_json:
        rows = [{k: o.to_json()[k] for k in ("thread_id", "status", "files", "score",
                                                "threshold", "iterations_used", "reason")}
                for o in outcomes]
        typer.echo(json.dumps(rows))
        return
    if not outcomes:
        typer.echo("no runs")
    for o in outcomes:
        score = console.score_text(o.score, o.threshold)
        unfinished = f"  {o.reason}" if o.status == "running" else ""
        files = ", ".join(o.files[:3]) + (f" and {len(o.files) - 3} more" if len(o.files) > 3
                                          else "")
        typer.echo(f"{o.thread_id}  {o.status:<17}  score {score}  rounds {o.iterations_used}"
                   f"  {files}{unfinished}")


@app.command()
def history(repo: Repo, checkpointer: Checkpointer = None, as_json: JsonFlag = False) -> None:
    """Show what healloop learned from your approvals and rejections in this repository."""
    from healloop import inputs, session
    from healloop.learning import Profile

    root = inputs.check_repo(repo)
    records = session.decisions(root, checkpointer)
    profile = Profile.of(records)
    tables = {"edit kind": profile.edits, "finding kind": profile.findings}
    if as_json:
        typer.echo(json.dumps({
            "accepted": profile.accepted, "rejected": profile.rejected,
            "revised": profile.revised,
            "edits": {k: {"accepted": v.accepted, "rejected": v.rejected, "effect": v.effect}
                      for k, v in sorted(profile.edits.items())},
            "findings": {k: {"accepted": v.accepted, "rejected": v.rejected, "effect": v.effect}
                         for k, v in sorted(profile.findings.items())},
            "feedback": profile.feedback,
            "decisions": [r.dump() for r in records],
        }))
        return
    if not records:
        typer.echo("nothing learned yet: no approval or rejection recorded")
        return
    typer.echo(f"{len(records)} decisions: {profile.accepted} accepted, "
               f"{profile.rejected} rejected, {profile.revised} rejected with feedback")
    if profile.revised:
        typer.echo("a rejection with feedback counts against a kind of change only if the "
                   "candidate you approved after it, for the same file in the same run, "
                   "left that kind out")
    for title, table in tables.items():
        typer.echo(f"\n{title:<14} accepted  rejected  effect")
        for kind, stats in sorted(table.items()):
            typer.echo(f"{kind:<14} {stats.accepted:>8}  {stats.rejected:>8}  {stats.effect}")
    if profile.feedback:
        typer.echo("\nfeedback by file")
        for file, texts in sorted(profile.feedback.items()):
            for text in dict.fromkeys(texts):
                typer.echo(f"  {file}: {text}")


@app.command()
def forget(repo: Repo, checkpointer: Checkpointer = None) -> None:
    """Forget every approval and rejection healloop recorded for this repository."""
    from healloop import inputs, session

    count = session.forget(inputs.check_repo(repo), checkpointer)
    typer.echo(f"forgot {count} decisions")


Output = Annotated[
    Path | None,
    typer.Option(help="Write the result to this file instead of stdout; without --format, "
                 "its suffix picks the format."),
]


@app.command()
def review(
    repo: Repo,
    files: Annotated[
        list[str] | None,
        typer.Option("--files", "--file", help="Files to review: --files A.py B.py, or "
                     "--files A.py --files B.py (files may also follow the options as "
                     "arguments; --file is the same flag, as run spells it)."),
    ] = None,
    more: Annotated[
        list[str] | None,
        typer.Argument(metavar="FILES", show_default=False,
                       help="More files to review, e.g. B.py in --files A.py B.py."),
    ] = None,
    output: Output = None,
    fmt: Annotated[
        Literal["json", "sarif", "md"] | None,
        typer.Option("--format", help='json: {"reviews": [one review per file]} '
                     "(schemas/review-set.schema.json), what generate --review reads; "
                     "sarif: SARIF 2.1.0 for code scanning; md: Markdown. Default json."),
    ] = None,
) -> None:
    """Review files as the loop does: findings, metrics, the tests that reach them."""
    from healloop import agents, inputs

    root = inputs.check_repo(repo)
    names = [*(files or []), *(more or [])]
    if not names:
        raise UsageError("name the files to review: --files A.py B.py")
    targets = list(dict.fromkeys(inputs.check_target(root, f) for f in names))
    if output is not None:
        inputs.check_output_file("--output", output, [root / t for t in targets], repo=root)
    fmt = fmt or agents.output_format(output, agents.REVIEW_SUFFIXES)
    _emit(output, agents.render_reviews(agents.review(root, targets), fmt))


@app.command()
def impact(
    file: Annotated[str, typer.Argument(help="The file whose blast radius to work out.")],
    repo: Repo,
    output: Output = None,
    fmt: Annotated[
        Literal["json", "md", "html", "mermaid"] | None,
        typer.Option("--format", help="json (schemas/impact.schema.json), what generate "
                     "--impact reads; md with a Mermaid graph; html, one offline page; "
                     "mermaid alone. Default json."),
    ] = None,
    knowledge_graph: Annotated[
        bool,
        typer.Option("--knowledge-graph", help="Build arc-memory's knowledge graph of the "
                     "repository under .healloop/ if there is none (minutes on a long "
                     "history); once built, every run uses it and refreshes it when HEAD "
                     "moves."),
    ] = False,
    coverage: Annotated[
        bool,
        typer.Option("--coverage", help="Run the whole test suite once under coverage "
                     "first and keep which test ran which line at this commit (under "
                     ".healloop/; reused while no tracked file changes; stderr says when "
                     "it starts and how long it took); the blast radius then finds tests no "
                     "import shows."),
    ] = False,
) -> None:
    """Work out what a change to one file can break: dependents, tests, history."""
    from healloop import agents, inputs

    root = inputs.check_repo(repo)
    target = inputs.check_target(root, file)
    if output is not None:
        inputs.check_output_file("--output", output, [root / target], repo=root)
    fmt = fmt or agents.output_format(output, agents.IMPACT_SUFFIXES)
    _emit(output, agents.impact(root, target, fmt, knowledge_graph=knowledge_graph or None,
                                coverage=coverage,
                                progress=lambda said: console.stderr(f"healloop: {said}")))


@app.command()
def generate(
    repo: Repo,
    file: Annotated[str, typer.Option("--file", help="The file to improve.")],
    review_file: Annotated[
        Path, typer.Option("--review", help="What healloop review wrote for it (JSON), or "
                           "one review (schemas/review.schema.json).")
    ],
    impact_file: Annotated[
        Path, typer.Option("--impact", help="What healloop impact wrote for it (JSON).")
    ],
    output: Annotated[
        Path | None,
        typer.Option(help="Write the improved file here; without it, print the diff."),
    ] = None,
    engine: Annotated[
        Engine, typer.Option(help="offline (no model), llm, or auto (all available).")
    ] = "auto",
    model: Annotated[str, typer.Option(help="Chat model name, or provider:model.")] = "gpt-4.1",
    api_key: Annotated[
        str | None, typer.Option(help="API key for the model (else OPENAI_API_KEY).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible server URL (else OPENAI_BASE_URL).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Improve one file from its review and blast radius; exit 1 if nothing beats it."""
    from healloop import agents, inputs

    root = inputs.check_repo(repo)
    target = inputs.check_target(root, file)
    if output is not None:
        inputs.check_output_file("--output", output, [root / target, review_file, impact_file],
                                 repo=root)
    found = agents.load_review(review_file, target)
    radius = agents.load_impact(impact_file, target)
    ctx = _context(engine, model, api_key, base_url)
    inputs.check_model(ctx)
    result = agents.generate(root, target, found, radius, ctx)
    best = result.best
    for note in result.notes:
        console.stderr(f"healloop: note: {note}")
    summary = result.to_json()
    if best is None:
        console.stderr(f"nothing beat the original {target} (score {result.baseline.score:.2f}) "
                f"among {len(result.attempts)} proposals")
    elif output is not None:
        agents.write_output(output, best.proposal.content)
        summary["written"] = str(output)
        console.stderr(f"wrote {output}: score {best.evaluation.score:.2f} (original "
                f"{result.baseline.score:.2f}) by {best.proposal.engine}: {best.proposal.summary}")
    else:
        summary["diff"] = result.diff()
        if not as_json:
            typer.echo(summary["diff"], nl=False)
        console.stderr(f"score {best.evaluation.score:.2f} (original {result.baseline.score:.2f}) "
                f"by {best.proposal.engine}: {best.proposal.summary}")
    if as_json:
        typer.echo(json.dumps(summary))
    raise typer.Exit(0 if best is not None else 1)


def _emit(output: Path | None, text: str) -> None:
    """Write text to output, or print it when there is none."""
    if output is None:
        typer.echo(text, nl=False)
        return
    from healloop import agents

    agents.write_output(output, text)
    console.stderr(f"wrote {output}")


@app.command()
def graph(
    fmt: Annotated[
        Literal["mermaid", "ascii"], typer.Option("--format", help="Drawing format.")
    ] = "mermaid",
) -> None:
    """Draw the healing loop's state machine."""
    from healloop.graph import build_graph

    drawable = build_graph().get_graph()
    typer.echo(drawable.draw_mermaid() if fmt == "mermaid" else drawable.draw_ascii())


@app.command()
def demo(
    keep: Annotated[
        Path | None, typer.Option(help="Copy the example here instead of a temp folder.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the whole loop offline on the bundled example, in a copy, approving itself."""
    from healloop.demo import prepare

    root = prepare(keep)
    console.stderr(f"demo repository: {root}")
    from healloop import session
    from healloop.state import ApprovalDecision, Request

    def show_and_approve(request: ApprovalRequest) -> ApprovalDecision:
        if not as_json:
            console.show_request(request)
        return ApprovalDecision(action="approve")

    request = Request(repo=str(root), files=["inventory/pricing.py"], output=None, apply=True)
    outcome = session.start(
        request, _context("offline", "gpt-4.1", None, None), thread_id=None,
        checkpointer=None, approver=show_and_approve, progress=console.progress,
    )
    for suffix in ("md", "html"):
        _report(root / ".healloop" / f"report.{suffix}", root, None, outcome)
    console.finish(outcome, root, as_json)


def _check_report(path: Path | None, repo: Path) -> None:
    if path is not None:
        from healloop.reports import check_report_path

        check_report_path(path, repo=repo)


def _report(path: Path | None, repo: Path, checkpointer: str | None, outcome: Outcome) -> None:
    if path is None:
        return
    from healloop.reports import write_run_report

    write_run_report(path, repo, checkpointer, outcome.thread_id, status=outcome.status)
    console.stderr(f"report: {path}")


def _context(
    engine: Engine, model: str, api_key: str | None, base_url: str | None, **extra: Any
) -> RunContext:
    from healloop.context import RunContext

    return RunContext(
        engine=engine, model=model,
        api_key=api_key or os.environ.get("OPENAI_API_KEY"),
        base_url=base_url or os.environ.get("OPENAI_BASE_URL"),
        **extra,
    )


def cli() -> None:
    """Run the command line (the console script)."""
    _handle_signals()
    app(prog_name="healloop")
