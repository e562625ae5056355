"""Build the run's chat model from its run context.

The model is never built at import time: a test hands in a ready model through
``RunContext.chat_model``, a user names one with ``--model``. A bare name goes to
``ChatOpenAI`` (OpenAI itself, or any OpenAI-compatible server such as Ollama,
vLLM or llama.cpp through a base URL); ``provider:model`` goes to LangChain's
``init_chat_model`` when that provider's package is installed. Every call has a
timeout, and the client retries 429 and 5xx answers with exponential backoff
(honouring ``Retry-After``). The key is handed to the client and nowhere else.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from healloop.context import RunContext
from healloop.errors import ModelConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

TIMEOUT = 120.0
"""Seconds one model request may take."""
MAX_RETRIES = 3
"""Retries of a request that got 429, 5xx, a timeout or a dropped connection."""
_PLACEHOLDER_KEY = "healloop-no-key"


def _split(model: str) -> tuple[str | None, str]:
    provider, sep, name = model.partition(":")
    return (provider.strip().lower(), name.strip()) if sep else (None, model.strip())


def model_configured(context: RunContext) -> bool:
    """Return whether the run context names a model the run can reach.

    A ready chat model, an OpenAI key or base URL (flag or environment), or an
    explicit non-OpenAI ``provider:model`` counts; the default model name alone
    does not, so ``--engine auto`` stays offline without any configuration.
    """
    if context.chat_model is not None:
        return True
    provider, _ = _split(context.model)
    if provider not in (None, "openai"):
        return True
    return bool(
        context.api_key
        or context.base_url
        or os.environ.get("OPENAI_API_KEY")
        or os.environ.get("OPENAI_BASE_URL")
    )


def model_wanted(context: RunContext) -> bool:
    """Return whether the run uses a model: ``--engine llm``, or ``auto`` with one configured."""
    return context.engine == "llm" or (context.engine == "auto" and model_configured(context))


def build_chat_model(
    context: RunContext, *, timeout: float = TIMEOUT, max_retries: int = MAX_RETRIES
) -> BaseChatModel:
    """Return the chat model the run context asks for.

    Raises:
        ModelConfigError: no key and no base URL for an OpenAI model, an empty
            model name, or a provider whose LangChain package is missing.

    """
    if context.chat_model is not None:
        return context.chat_model
    provider, name = _split(context.model)
    if not name:
        raise ModelConfigError(f"no model name in --model {context.model!r}")
    if provider in (None, "openai"):
        return _openai(context, name, timeout, max_retries)
    return _other(context, provider or "", name, timeout, max_retries)


def _openai(context: RunContext, name: str, timeout: float, retries: int) -> BaseChatModel:
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    key = context.api_key or os.environ.get("OPENAI_API_KEY")
    base_url = context.base_url or os.environ.get("OPENAI_BASE_URL")
    if not key and not base_url:
        raise ModelConfigError(
            "the llm engine needs a model: pass --api-key or set OPENAI_API_KEY, or pass "
            "--base-url or set OPENAI_BASE_URL for an OpenAI-compatible server"
        )
    # Local servers ignore the key but the client insists on one; and they speak
    # Chat Completions, not the Responses API some model names would switch to.
    return ChatOpenAI(
        model=name,
        api_key=SecretStr(key or _PLACEHOLDER_KEY),
        base_url=base_url,
        timeout=timeout,
        max_retries=retries,
        **({"use_responses_api": False} if base_url else {}),
    )


def _other(
    context: RunContext, provider: str, name: str, timeout: float, retries: int
) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    kwargs: dict[str, Any] = {"timeout": timeout, "max_retries": retries}
    if context.api_key:
        kwargs["api_key"] = context.api_key
    if context.base_url:
        kwargs["base_url"] = context.base_url
    try:
        return init_chat_model(name, model_provider=provider, **kwargs)
    except ImportError as exc:
        raise ModelConfigError(
            f"model provider {provider!r} needs its LangChain package: {exc}"
        ) from None
    except ValueError as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if context.api_key:
            message = message.replace(context.api_key, "***")
        raise ModelConfigError(f"cannot build model {provider}:{name}: {message}") from None
