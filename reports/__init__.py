"""Reports of a run: JSON (the full state), Markdown, HTML and SARIF.

``write_report(state, path)`` picks the format from the file's suffix; the JSON
Schemas of every file healloop reads or writes live in ``healloop.reports.schemas``.
"""

from healloop.reports.write import (
    check_report_path,
    render_report,
    report_format,
    write_report,
    write_run_report,
)

__all__ = [
    "check_report_path",
    "render_report",
    "report_format",
    "write_report",
    "write_run_report",
]
