"""What model calls cost, and the meter that stops a run at the user's limit.

A run may cap its tokens (``--max-tokens-per-run``) and its cost in USD
(``--max-cost``). The meter is checked before every call with an estimate of the
call's input and expected output, so a run stops cleanly with what it has instead
of finding out afterwards that it overspent. Prices per million tokens come from a
built-in table that users override with ``HEALLOOP_PRICES``: inline JSON or the
path of a JSON file, ``{"model-name": [input_usd_per_1m, output_usd_per_1m]}``.
A model missing from both costs nothing (local servers), which the meter says
when a cost limit is set.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from healloop.context import RunContext
from healloop.errors import UsageError

PRICES_ENV = "HEALLOOP_PRICES"

# USD per million input and output tokens, public list prices.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o3": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-3-5-haiku": (0.80, 4.00),
}


class Usage(BaseModel):
    """Model calls made and what they consumed."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0

    @property
    def tokens(self) -> int:
        """Input and output tokens together."""
        return self.tokens_in + self.tokens_out

    def __add__(self, other: Usage) -> Usage:
        """Return the sum of two usages."""
        return Usage(
            calls=self.calls + other.calls,
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            cost=round(self.cost + other.cost, 6),
        )

    def stats(self) -> dict[str, float]:
        """Return the usage as a candidate's stats entries."""
        return {
            "calls": self.calls,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": self.cost,
        }

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Usage:
        """Read a usage from state or stats data, ignoring unrelated keys."""
        data = data or {}
        return cls(
            calls=int(data.get("calls", 0)),
            tokens_in=int(data.get("tokens_in", 0)),
            tokens_out=int(data.get("tokens_out", 0)),
            cost=float(data.get("cost", 0.0)),
        )


class Price(BaseModel):
    """USD per million tokens."""

    input: float = Field(ge=0.0)
    output: float = Field(ge=0.0)

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """Return the cost of a call in USD."""
        return (tokens_in * self.input + tokens_out * self.output) / 1_000_000


def _overrides() -> dict[str, tuple[float, float]]:
    raw = os.environ.get(PRICES_ENV, "").strip()
    if not raw:
        return {}
    text = raw if raw.startswith("{") else Path(raw).expanduser().read_text(encoding="utf-8")
    try:
        data = json.loads(text)
        return {str(k): (float(v[0]), float(v[1])) for k, v in data.items()}
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise UsageError(
            f"{PRICES_ENV} must map model names to [input, output] USD per 1M tokens: {exc}"
        ) from None


def price_for(model: str) -> Price | None:
    """Return the price of a model, or None when neither table knows it.

    The provider prefix of ``provider:model`` is ignored, and a dated or suffixed
    name (``gpt-4.1-2025-04-14``) takes the price of its longest known prefix.
    """
    name = model.split(":", 1)[-1]
    table = {**DEFAULT_PRICES, **_overrides()}
    matches = [known for known in table if name == known or name.startswith(known + "-")]
    if not matches:
        return None
    best = max(matches, key=len)
    return Price(input=table[best][0], output=table[best][1])


@dataclass
class Meter:
    """The run's model budget: what was spent before, what this step uses.

    A meter may be shared by threads (generation works on targets in parallel):
    a call that passes ``refuse`` holds a reservation of its estimated size until
    ``record`` replaces it with what the call really used, so parallel calls
    cannot overrun the budget together.
    """

    model: str
    max_tokens: int | None = None
    max_cost: float | None = None
    spent_before: Usage = field(default_factory=Usage)
    used: Usage = field(default_factory=Usage)
    price: Price | None = None
    stopped: str | None = None
    """Why the meter refused a call, once it has."""
    log: list[str] = field(default_factory=list)
    """What happened to calls: answers dropped, calls failed; one line each."""
    _reserved: list[int] = field(default_factory=lambda: [0, 0], repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_run(cls, context: RunContext, spent: dict[str, Any] | Usage | None = None,
                *, share: int = 1) -> Meter:
        """Return the meter of a run, given what the run spent so far.

        Args:
            context: The run's settings: model and limits.
            spent: What the run spent before this step.
            share: How many steps run at once on meters of their own (the reviews of
                a run's targets, each in its own task): each gets that part of the
                limits, so that together they keep to them.

        """
        before = spent if isinstance(spent, Usage) else Usage.of(spent)
        limit = context.max_tokens_per_run
        return cls(
            model=context.model,
            max_tokens=None if limit is None else limit // max(1, share),
            max_cost=None if context.max_cost is None else context.max_cost / max(1, share),
            spent_before=before,
            price=price_for(context.model),
        )

    @property
    def total(self) -> Usage:
        """Everything the run has spent, including this step."""
        return self.spent_before + self.used

    def cost_of(self, tokens_in: int, tokens_out: int) -> float:
        """Return the cost of a call, zero when the price is unknown."""
        return self.price.cost(tokens_in, tokens_out) if self.price else 0.0

    def remaining_tokens(self) -> int | None:
        """Return the tokens left in the run, or None without a token limit."""
        if self.max_tokens is None:
            return None
        with self._lock:
            return max(0, self.max_tokens - self.total.tokens - sum(self._reserved))

    def refuse(self, tokens_in: int, tokens_out: int) -> str | None:
        """Return why a call of this size must not be made, or None and reserve it."""
        with self._lock:
            if self.stopped:
                return self.stopped
            total = self.total
            held_in, held_out = self._reserved
            tokens = total.tokens + held_in + held_out
            cost = total.cost + self.cost_of(held_in, held_out)
            reason = None
            if self.max_tokens is not None and tokens + tokens_in + tokens_out > self.max_tokens:
                reason = (
                    f"token budget reached: {tokens} of {self.max_tokens} used, "
                    f"the next call needs about {tokens_in + tokens_out}"
                )
            elif (
                self.max_cost is not None
                and self.price is not None
                and cost + self.cost_of(tokens_in, tokens_out) > self.max_cost
            ):
                reason = (
                    f"cost budget reached: ${cost:.4f} of ${self.max_cost:.4f} spent, "
                    f"the next call costs about ${self.cost_of(tokens_in, tokens_out):.4f}"
                )
            if reason:
                self.stopped = reason
                return reason
            self._reserved = [held_in + tokens_in, held_out + tokens_out]
            return None

    def record(
        self, tokens_in: int, tokens_out: int, *, reserved: tuple[int, int] = (0, 0)
    ) -> Usage:
        """Count one call, release its reservation, and return its usage."""
        call = Usage(
            calls=1,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=round(self.cost_of(tokens_in, tokens_out), 6),
        )
        with self._lock:
            self.used = self.used + call
            self._reserved = [
                max(0, self._reserved[0] - reserved[0]), max(0, self._reserved[1] - reserved[1])
            ]
        return call

    def note(self, text: str) -> None:
        """Record what happened to a call."""
        with self._lock:
            self.log.append(text)

    def notes(self) -> list[str]:
        """Return what a report should say about the model's calls and the budget."""
        notes = list(self.log)
        if self.max_cost is not None and self.price is None and not self.spent_before.calls:
            notes.append(
                f"no price known for model {self.model!r}: --max-cost is not enforced "
                f"(set {PRICES_ENV} to price it)"
            )
        if self.stopped and not any(self.stopped in line for line in notes):
            notes.append(self.stopped)
        return notes

    def state_update(self) -> dict[str, Any]:
        """Return the graph state update for this step: its usage and its notes."""
        update: dict[str, Any] = {}
        if self.used.calls:
            update["usage"] = self.used.stats()
        notes = self.notes()
        if notes:
            update["notes"] = notes
        return update
