"""A scripted LangChain chat model for node-level tests.

It replays replies in order: a string becomes a plain answer, a dict becomes a
call to the first bound tool (which is how ``with_structured_output`` works on a
model without a native JSON mode), an ``AIMessage`` is returned as is, and an
exception is raised as if the provider had failed. ``bind_tools`` and
``with_structured_output`` are LangChain's own code paths, run for real.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

ScriptItem = str | dict[str, Any] | AIMessage | Exception | Callable[[list[BaseMessage]], Any]


class FakeChat(BaseChatModel):
    """Replays scripted replies; records every prompt it was sent."""

    replies: list[Any] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "fake-chat"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append(list(messages))
        if not self.replies:
            raise AssertionError("FakeChat: no scripted reply left")
        reply = self.replies.pop(0)
        if callable(reply) and not isinstance(reply, BaseMessage | Exception):
            reply = reply(list(messages))
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, str):
            message = AIMessage(reply)
        elif isinstance(reply, dict):
            tools = kwargs.get("tools") or []
            name = tools[0]["function"]["name"] if tools else "answer"
            call_id = f"call_{len(self.prompts)}"
            message = AIMessage("", tool_calls=[{"name": name, "args": reply, "id": call_id}])
        else:
            message = reply
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools the way providers do: as OpenAI tool schemas."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)
