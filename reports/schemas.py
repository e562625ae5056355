"""Published JSON Schemas of the files healloop reads and writes, and their loader.

The seed's agents passed JSON files to each other; ``healloop review``, ``impact``
and ``generate`` still do. The files follow JSON Schemas generated from the pydantic
models in ``healloop.state`` and shipped under ``schemas/``, so other tools can
produce and check them without Python. The models stay the single source: run

    python -m healloop.reports.schemas          # rewrite schemas/
    python -m healloop.reports.schemas --check  # exit 1 if schemas/ is stale

and a test fails when a model changed but its schema file did not.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from healloop.errors import InputError
from healloop.reports.run import RunReport
from healloop.state import (
    ApprovalDecision,
    ApprovalRequest,
    BlastRadius,
    Candidate,
    Evaluation,
    ReviewReport,
    ReviewSet,
)

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
"""Where the schema files ship: ``schemas/`` at the top of the package."""
DIALECT = "https://json-schema.org/draft/2020-12/schema"

SCHEMAS: dict[str, type[BaseModel]] = {
    "review": ReviewReport,
    "review-set": ReviewSet,
    "impact": BlastRadius,
    "report": RunReport,
    "candidate": Candidate,
    "evaluation": Evaluation,
    "approval-request": ApprovalRequest,
    "approval-decision": ApprovalDecision,
}
"""Schema name (file ``schemas/<name>.schema.json``) to the model it is made from."""

M = TypeVar("M", bound=BaseModel)


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """Return the JSON Schema of the files a model reads."""
    return {"$schema": DIALECT, **model.model_json_schema(mode="validation")}


def schema_path(name: str) -> Path:
    """Return the path of the shipped schema file with that name."""
    return SCHEMA_DIR / f"{name}.schema.json"


def render_schema(name: str) -> str:
    """Return the text of a schema file as ``write_schemas`` writes it."""
    return json.dumps(schema_of(SCHEMAS[name]), indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file into folder and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SCHEMAS:
        path = folder / f"{name}.schema.json"
        path.write_text(render_schema(name), encoding="utf-8")
        written.append(path)
    return written


def stale_schemas(folder: Path = SCHEMA_DIR) -> list[str]:
    """Return the names of schema files that are missing or differ from their model."""
    return [
        name
        for name in SCHEMAS
        if not (folder / f"{name}.schema.json").is_file()
        or (folder / f"{name}.schema.json").read_text(encoding="utf-8") != render_schema(name)
    ]


def load_report(path: Path, model: type[M]) -> M:
    """Read a JSON file and validate it against a model, naming what does not fit.

    Args:
        path: The file to read.
        model: The model the file must match, e.g. ``ReviewReport``.

    Returns:
        The validated model.

    Raises:
        InputError: The file is missing, unreadable, not JSON, or does not match;
            the message names the file, the schema and the first failing field.

    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path} is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(
            f"{path} does not match {_schema_name(model)}: "
            f"{field_path(error['loc'])}: {error['msg']}{more}"
        ) from None


def field_path(loc: tuple[int | str, ...]) -> str:
    """Return a pydantic error location as a field path, e.g. ``findings[0].line``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _schema_name(model: type[BaseModel]) -> str:
    name = next((n for n, m in SCHEMAS.items() if m is model), None)
    return f"{name}.schema.json" if name else model.__name__


def main(argv: list[str] | None = None) -> int:
    """Rewrite schemas/, or with --check report stale files and return 1."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        stale = stale_schemas()
        for name in stale:
            print(f"stale: {schema_path(name)}", file=sys.stderr)
        return 1 if stale else 0
    for path in write_schemas():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
