"""Write a run's report in the format its file name asks for.

``--report PATH`` picks the format from the suffix so that one flag serves a CI
artifact (``.html``), a pull-request comment (``.md``), code scanning (``.sarif``)
and other programs (``.json``). The file is replaced atomically: a reader never
sees half a report (a FIFO or a device is written into, never replaced).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from healloop.errors import UsageError
from healloop.inputs import check_output_file
from healloop.state import RunStatus

ReportFormat = Literal["json", "md", "html", "sarif"]
SUFFIXES: dict[str, ReportFormat] = {
    ".json": "json",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".sarif": "sarif",
}


def report_format(path: Path) -> ReportFormat:
    """Return the report format a file name asks for.

    Raises:
        UsageError: The suffix is not one of .json, .md, .html or .sarif.

    """
    fmt = SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(
            f"report {path}: unknown format {Path(path).suffix or '(no suffix)'!r}; "
            "use .json, .md, .html or .sarif"
        )
    return fmt


def check_report_path(path: Path, *, repo: Path | None = None) -> Path:
    """Check before a run that its report can be written there; return the path.

    Raises:
        UsageError: The path is a folder, its folder does not exist, it is a file of
            repo's own, or its suffix names no format.

    """
    path = check_output_file("--report", Path(path), repo=repo)
    report_format(path)
    return path


def render_report(
    state: dict[str, Any],
    fmt: ReportFormat,
    *,
    thread_id: str | None = None,
    status: RunStatus | None = None,
) -> str:
    """Return a run's report as text in one format.

    Args:
        state: The run's graph state (``HealState``).
        fmt: json (the full state, ``schemas/report.schema.json``), md, html or
            sarif (review findings only).
        thread_id: The run's thread, shown in the report when given.
        status: Overrides the state's status, e.g. ``awaiting_approval``.

    Returns:
        The report's text.

    """
    from healloop.reports.run import run_report

    report = run_report(state, thread_id=thread_id, status=status)
    if fmt == "json":
        return json.dumps(report.dump(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        from healloop.reports.sarif import sarif_log

        return json.dumps(sarif_log(report.review.values()), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        from healloop.reports.markdown import render_markdown

        return render_markdown(report)
    from healloop.reports.html import render_html

    return render_html(report)


def write_report(
    state: dict[str, Any],
    path: Path,
    *,
    thread_id: str | None = None,
    status: RunStatus | None = None,
) -> Path:
    """Write a run's report to path, in the format its suffix names.

    Args:
        state: The run's graph state (``HealState``).
        path: Where to write: ``.json``, ``.md``, ``.html`` or ``.sarif``.
        thread_id: The run's thread, shown in the report when given.
        status: Overrides the state's status, e.g. ``awaiting_approval``.

    Returns:
        The path written.

    Raises:
        UsageError: The suffix names no format, or the folder does not exist.

    """
    path = Path(path)
    text = render_report(state, report_format(path), thread_id=thread_id, status=status)
    write_text_atomic(path, text)
    return path


def write_run_report(
    path: Path,
    repo: Path,
    checkpointer: str | None,
    thread_id: str,
    *,
    status: RunStatus | None = None,
) -> Path:
    """Read a checkpointed run's state and write its report to path.

    Args:
        path: Where to write; the suffix names the format.
        repo: The run's repository (home of the default checkpointer).
        checkpointer: The ``--checkpointer`` value, or None.
        thread_id: The run's thread.
        status: Overrides the state's status, e.g. ``awaiting_approval``.

    Returns:
        The path written.

    Raises:
        RunNotFoundError: The checkpointer holds no run with that thread id.
        UsageError: The suffix names no format, or the folder does not exist.

    """
    from healloop.checkpoint import open_checkpointer
    from healloop.errors import RunNotFoundError
    from healloop.graph import build_graph

    check_report_path(path)
    with open_checkpointer(checkpointer, repo) as saver:
        snapshot = build_graph(checkpointer=saver).get_state(
            {"configurable": {"thread_id": thread_id}}
        )
    if not snapshot.values:
        raise RunNotFoundError(f"no run with thread id {thread_id} in this checkpointer")
    return write_report(snapshot.values, path, thread_id=thread_id, status=status)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace path with text in one step (see ``writes.write_atomic``).

    Raises:
        UsageError: The path is a folder, its folder does not exist, or the file
            cannot be written (a full disk, a device that refuses, no permission).

    """
    from healloop.writes import write_atomic

    folder = path.parent
    if path.is_dir():
        raise UsageError(f"report {path} is a folder; name a file in it")
    if not folder.is_dir():
        raise UsageError(f"report {path}: folder {folder} does not exist")
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise UsageError(f"report {path}: cannot write: {exc.strerror or exc}") from None
