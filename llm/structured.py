"""Ask a chat model for a structured answer: one re-ask, then give up and say why.

Models send malformed JSON, stop in the middle of an answer, or answer the
right shape with the wrong content (an edit block that matches nothing). Each
ask gets at most one re-ask that quotes the problem back; after that the answer
is dropped with the reason, never guessed. Every call is checked against the
run's meter first and counted afterwards, from the provider's usage report when
there is one and from the local estimate when not. Network failures (after the
client's own retries with backoff) end the ask as data, not as an exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
import openai
from langchain_core.exceptions import ModelError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from healloop.llm.budget import Meter, Usage
from healloop.llm.tokens import count_messages, count_tokens

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R")

_ECHO_CHARS = 2000
_CUT_OFF = ("length", "max_tokens", "MAX_TOKENS")
# LangChain maps each provider's failures onto ModelError (rate limits, 5xx,
# timeouts, refused connections, bad keys); the rest are for clients that do not.
_CALL_ERRORS = (ModelError, openai.APIError, httpx.HTTPError, TimeoutError, ConnectionError)


@dataclass
class Verdict(Generic[R]):
    """What a local check made of a well-formed answer: a result, a re-ask or a rejection."""

    result: R | None = None
    reask: str | None = None
    reject: str | None = None


@dataclass
class Reply(Generic[R]):
    """The outcome of an ask: a checked result, or the problem that prevented one."""

    result: R | None
    usage: Usage
    problem: str | None = None
    stop: bool = False
    """No further call makes sense now: the budget is spent or the model unreachable."""


@dataclass
class _Raw:
    text: str
    data: Any
    problem: str | None
    tokens_in: int | None
    tokens_out: int | None


def _text_of(message: AIMessage) -> str:
    if message.tool_calls:
        return json.dumps(message.tool_calls[0].get("args", {}))
    content = message.content
    return content if isinstance(content, str) else json.dumps(content)


def _usage_of(message: AIMessage) -> tuple[int | None, int | None]:
    meta = message.usage_metadata
    if not meta:
        return None, None
    return meta.get("input_tokens"), meta.get("output_tokens")


def _cut_off(message: AIMessage) -> bool:
    meta = message.response_metadata or {}
    return meta.get("finish_reason") in _CUT_OFF or meta.get("stop_reason") in _CUT_OFF


def _short(problem: str, limit: int = 600) -> str:
    problem = " ".join(problem.split())
    return problem if len(problem) <= limit else problem[:limit] + " [...]"


def _validation_problem(exc: ValidationError) -> str:
    parts = [
        f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors()[:8]
    ]
    return "the answer does not match the schema: " + "; ".join(parts)


def structured(model: BaseChatModel, schema: type[BaseModel]) -> Any:
    """Return the model bound to answer with schema's JSON, raw message included."""
    kwargs: dict[str, Any] = {"include_raw": True}
    from langchain_openai.chat_models.base import BaseChatOpenAI

    if isinstance(model, BaseChatOpenAI):
        kwargs["strict"] = True
    return model.with_structured_output(schema.model_json_schema(), **kwargs)


def _capped(model: BaseChatModel, tokens: int | None) -> BaseChatModel:
    """Return the model with its output capped, when it has such a setting."""
    if tokens is None or "max_tokens" not in type(model).model_fields:
        return model
    return model.model_copy(update={"max_tokens": max(1, tokens)})


def _call(model: BaseChatModel, schema: type[A], history: list[BaseMessage]) -> _Raw:
    try:
        out = structured(model, schema).invoke(history)
    except openai.LengthFinishReasonError as exc:
        usage = exc.completion.usage
        choice = exc.completion.choices[0] if exc.completion.choices else None
        text = (choice.message.content or "") if choice else ""
        return _Raw(
            text, None, "the answer was cut off at the output token limit",
            usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None,
        )
    except openai.ContentFilterFinishReasonError:
        return _Raw("", None, "the provider's content filter stopped the answer", None, None)
    raw: AIMessage = out["raw"]
    tokens_in, tokens_out = _usage_of(raw)
    text = _text_of(raw)
    problem = None
    if _cut_off(raw) and (out["parsing_error"] or out["parsed"] is None):
        problem = "the answer was cut off at the output token limit"
    elif out["parsing_error"] is not None:
        problem = f"the answer is not valid JSON for the schema: {out['parsing_error']}"
    elif out["parsed"] is None:
        problem = "the answer holds no JSON object"
    return _Raw(text, out["parsed"], problem, tokens_in, tokens_out)


def ask(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[A],
    meter: Meter,
    *,
    expected_out: int,
    check: Callable[[A], Verdict[R]],
) -> Reply[R]:
    """Ask for an answer of schema's shape and check it, re-asking once on a problem.

    Args:
        model: the chat model.
        messages: the prompt.
        schema: the answer's pydantic model.
        meter: the run's budget; refuses calls past it and counts every call.
        expected_out: the output tokens the answer should take, for the budget check.
        check: turns a well-formed answer into a result, a re-ask or a rejection.

    """
    history = list(messages)
    usage = Usage()
    problem = "no answer"
    for attempt in (1, 2):
        tokens_in = count_messages(history)
        left = meter.remaining_tokens()
        refused = meter.refuse(tokens_in, expected_out)
        if refused:
            return Reply(None, usage, refused, stop=True)
        held = (tokens_in, expected_out)
        cap = None if left is None else left - tokens_in
        try:
            raw = _call(_capped(model, cap), schema, history)
        except _CALL_ERRORS as exc:
            usage = usage + meter.record(0, 0, reserved=held)
            return Reply(None, usage, f"model call failed: {type(exc).__name__}: "
                                      f"{_short(str(exc), 300)}", stop=True)
        usage = usage + meter.record(
            raw.tokens_in if raw.tokens_in is not None else tokens_in,
            raw.tokens_out if raw.tokens_out is not None else count_tokens(raw.text),
            reserved=held,
        )
        reask = None
        if raw.problem:
            problem = raw.problem
            reask = f"Your answer could not be used: {_short(problem)}."
            if "cut off" in problem:
                reask += " Answer again, shorter, with one complete JSON object."
            else:
                reask += " Answer again with one JSON object that matches the schema."
        else:
            try:
                answer = schema.model_validate(raw.data)
            except ValidationError as exc:
                problem = _validation_problem(exc)
                reask = f"Your answer could not be used: {problem}. Answer again."
            else:
                verdict = check(answer)
                if verdict.result is not None:
                    return Reply(verdict.result, usage)
                if verdict.reject:
                    return Reply(None, usage, verdict.reject)
                problem = verdict.reask or "the answer was not usable"
                reask = problem
        if attempt == 2:
            break
        echo = raw.text if len(raw.text) <= _ECHO_CHARS else raw.text[:_ECHO_CHARS] + " [...]"
        history += [AIMessage(echo or "(empty answer)"), HumanMessage(reask)]
    return Reply(None, usage, f"{problem} (still after one re-ask)")
