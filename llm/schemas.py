"""The shapes of the model's answers, as strict JSON schemas.

Every answer is a pydantic model that forbids extra keys and has no defaults, so
its JSON schema meets OpenAI's strict structured-output rules and any other
provider's tool-calling format. The answer is validated here, at the edge,
before anything uses it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """Return the JSON schema sent to the model."""
        return cls.model_json_schema()


class ReviewItem(_Answer):
    """One problem in the file under review."""

    line: int = Field(description="1-based line where the problem is.")
    end_line: int | None = Field(description="Last line of the problem, or null.")
    severity: Literal["info", "warning", "error"]
    rule: str = Field(description="Short kebab-case kind, e.g. off-by-one, unchecked-none.")
    message: str = Field(description="What is wrong, in one sentence.")
    rationale: str = Field(description="Why it is wrong: the intent it breaks.")


class ReviewAnswer(_Answer):
    """Problems in the file that the analysers' findings do not already cover."""

    findings: list[ReviewItem]


class Rewrite(_Answer):
    """The complete new content of the file under repair."""

    path: str = Field(description="Repository-relative path of the file you rewrote.")
    summary: str = Field(description="The change in one sentence.")
    edits: list[str] = Field(description="Each edit in a few words, with its line.")
    content: str = Field(description="The whole new file, not a diff, no markdown fences.")


class EditBlock(_Answer):
    """Replace one exact, unique piece of the file with new text."""

    path: str = Field(description="Repository-relative path of the file to edit.")
    search: str = Field(
        description="Lines copied exactly from the file, with their indentation, "
        "long enough to occur once."
    )
    replace: str = Field(description="The lines that take their place.")
    reason: str = Field(description="The edit in a few words.")


class EditAnswer(_Answer):
    """Search/replace edits to the file under repair, applied in order."""

    summary: str = Field(description="The change in one sentence.")
    blocks: list[EditBlock]


class JudgeAnswer(_Answer):
    """A judgement of a candidate change."""

    score: float = Field(description="From 0 (worse than the original) to 1 (clearly right).")
    reasons: list[str] = Field(description="Why, one point per entry.")

    @field_validator("score")
    @classmethod
    def _in_unit_range(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("score must be between 0 and 1")
        return value
