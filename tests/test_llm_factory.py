"""Building the run's chat model from flags and environment, and refusing without one."""

import pytest
from fake_chat import FakeChat
from langchain_openai import ChatOpenAI

from healloop.context import RunContext
from healloop.engines import engines_for
from healloop.errors import ModelConfigError
from healloop.llm.factory import build_chat_model, model_configured


@pytest.fixture(autouse=True)
def no_openai_env(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_no_key_and_no_base_url_is_a_model_config_error():
    with pytest.raises(ModelConfigError, match="--api-key or set OPENAI_API_KEY"):
        build_chat_model(RunContext(engine="llm"))


def test_a_base_url_alone_is_enough_for_a_local_server():
    model = build_chat_model(RunContext(base_url="http://127.0.0.1:9/v1"), timeout=7, max_retries=1)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert (model.request_timeout, model.max_retries) == (7, 1)


def test_the_key_comes_from_the_flag_or_the_environment_and_stays_out_of_it(monkeypatch):
    import os

    model = build_chat_model(RunContext(api_key="sk-flag"))
    assert model.openai_api_key.get_secret_value() == "sk-flag"
    assert "sk-flag" not in repr(model) and "sk-flag" not in os.environ.values()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert build_chat_model(RunContext()).openai_api_key.get_secret_value() == "sk-env"


def test_a_ready_chat_model_wins_over_everything():
    fake = FakeChat()
    assert build_chat_model(RunContext(chat_model=fake, model="bogus:x")) is fake


def test_a_provider_without_its_package_is_a_one_line_model_config_error():
    with pytest.raises(ModelConfigError) as info:
        build_chat_model(RunContext(model="nosuchprovider:some-model", api_key="sk-secret"))
    assert "\n" not in str(info.value) and "sk-secret" not in str(info.value)


@pytest.mark.parametrize(
    ("context", "configured"),
    [
        (RunContext(), False),
        (RunContext(api_key="k"), True),
        (RunContext(base_url="http://127.0.0.1:1/v1"), True),
        (RunContext(chat_model=FakeChat()), True),
        (RunContext(model="ollama:qwen2.5-coder"), True),
        (RunContext(model="openai:gpt-4.1"), False),
    ],
)
def test_a_model_counts_as_configured_only_when_the_user_gave_one(context, configured):
    assert model_configured(context) is configured


def test_auto_uses_the_model_only_when_configured_and_llm_insists_on_one():
    assert "llm" not in [e.name for e in engines_for(RunContext(engine="auto"))]
    auto = engines_for(RunContext(engine="auto", chat_model=FakeChat()))
    assert "llm" in [e.name for e in auto] and "ruff" in [e.name for e in auto]
    only = engines_for(RunContext(engine="llm", chat_model=FakeChat()))
    assert [e.name for e in only] == ["llm"]
    with pytest.raises(ModelConfigError):
        engines_for(RunContext(engine="llm"))
