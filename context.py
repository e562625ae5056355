"""Run context: how a run works, as opposed to what it must achieve.

Passed as LangGraph ``context`` on every invoke and never checkpointed, which is
why the API key lives here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EngineName = Literal["auto", "offline", "llm"]


@dataclass
class RunContext:
    """Settings of one run that are not part of its state."""

    engine: EngineName = "auto"
    """Which generators run: offline (no model), llm, or auto (all available)."""
    model: str = "gpt-4.1"
    """Chat model name, or provider:model for init_chat_model."""
    api_key: str | None = None
    """API key for the model; never stored."""
    base_url: str | None = None
    """Base URL of an OpenAI-compatible server."""
    chat_model: Any = None
    """A ready LangChain chat model; wins over model/api_key/base_url."""
    candidates: int = 1
    """Candidates per round from the llm engine."""
    judge: bool = False
    """Add an LLM judge term to the score."""
    max_tokens_per_run: int | None = None
    """Stop calling the model past this many tokens."""
    max_cost: float | None = None
    """Stop calling the model past this cost in USD."""
    test_timeout: float = 30.0
    """Wall-clock seconds one test may take."""
    run_timeout: float = 600.0
    """Wall-clock seconds one test run may take."""
    repair_seconds: float = 150.0
    """Time budget of test-driven repair per target and round."""
    pass_env: list[str] = field(default_factory=list)
    """Environment variables passed to test runs despite looking secret."""
    jobs: int | None = None
    """Targets and candidates worked on at once; None for the number of cores."""
