"""The one exception tree for expected failures.

Only ``main.py`` turns these into a message and an exit code; everything else lets
them propagate. A bug is any other exception and keeps its traceback.

    HealloopError                 expected failure, shown as one line
    ├── UsageError                bad flags or arguments (exit 2)
    │   └── InputError            bad repository, target or file content (exit 2)
    ├── CheckpointError           checkpointer URL malformed, unreachable, corrupt (exit 2)
    ├── RunNotFoundError          unknown thread id (exit 2)
    ├── RunStateError             the run cannot do that now, e.g. resume a finished run (exit 2)
    ├── ModelConfigError          llm engine without key or base URL (exit 2)
    ├── ToolError                 a tool healloop runs (ruff) failed on the repository or
    │                             printed what healloop cannot read (exit 2)
    └── ApplyConflictError        target changed since the run started, or another
                                  run is applying to it (exit 2)
"""

from __future__ import annotations


class HealloopError(Exception):
    """An expected failure, reported to the user as one line."""

    exit_code = 2


class UsageError(HealloopError):
    """Flags or arguments that do not make sense together."""


class InputError(UsageError):
    """A repository, target or file that healloop cannot work on."""


class CheckpointError(HealloopError):
    """The checkpointer location is malformed, unreachable or corrupt."""


class RunNotFoundError(HealloopError):
    """No run with that thread id in the checkpointer."""


class RunStateError(HealloopError):
    """The run is not in a state that allows the request."""


class ModelConfigError(HealloopError):
    """The llm engine was asked for but no model can be built."""


class ToolError(HealloopError):
    """A tool healloop runs failed, e.g. ruff refused the repository's configuration."""


class ApplyConflictError(HealloopError):
    """Applying would overwrite work that is not ours."""
