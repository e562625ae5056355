"""Token estimates, prices and the meter that keeps a run within its model budget."""

import socket

import pytest

from healloop.context import RunContext
from healloop.errors import UsageError
from healloop.llm.budget import PRICES_ENV, Meter, Usage, price_for
from healloop.llm.tokens import count_messages, count_tokens

SOURCE = '''\
def mean(values: list[float]) -> float:
    """Return the arithmetic mean of values."""
    if not values:
        raise ValueError("mean of nothing")
    return sum(values) / len(values)
'''


def test_token_estimate_stays_in_the_range_of_real_tokenisers_on_code():
    chars_per_token = len(SOURCE) / count_tokens(SOURCE)
    assert 2.5 <= chars_per_token <= 4.5


def test_token_estimate_grows_with_the_text_and_is_zero_for_nothing():
    assert count_tokens("") == 0
    assert count_tokens(SOURCE * 2) == pytest.approx(2 * count_tokens(SOURCE), abs=2)


def test_counting_tokens_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    from langchain_core.messages import HumanMessage, SystemMessage

    assert count_messages([SystemMessage("rules"), HumanMessage(SOURCE)]) > count_tokens(SOURCE)


def test_dated_model_names_take_the_price_of_their_family():
    assert price_for("gpt-4.1-2025-04-14") == price_for("gpt-4.1")
    assert price_for("gpt-4.1-mini").input < price_for("gpt-4.1").input
    assert price_for("openai:gpt-4o") == price_for("gpt-4o")


def test_unknown_models_have_no_price():
    assert price_for("qwen2.5-coder:7b") is None


def test_users_override_prices_inline_or_from_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv(PRICES_ENV, '{"my-model": [1.0, 2.0], "gpt-4.1": [0, 0]}')
    assert price_for("my-model").cost(1_000_000, 500_000) == pytest.approx(2.0)
    assert price_for("gpt-4.1").cost(10_000, 10_000) == 0.0
    prices = tmp_path / "prices.json"
    prices.write_text('{"local": [0.5, 0.5]}', encoding="utf-8")
    monkeypatch.setenv(PRICES_ENV, str(prices))
    assert price_for("local").input == 0.5


def test_a_malformed_price_override_is_a_usage_error(monkeypatch):
    monkeypatch.setenv(PRICES_ENV, '{"my-model": "cheap"}')
    with pytest.raises(UsageError, match=PRICES_ENV):
        price_for("my-model")


def test_meter_refuses_a_call_that_would_cross_the_token_limit():
    meter = Meter.for_run(RunContext(max_tokens_per_run=1000), {"tokens_in": 600})
    assert meter.refuse(300, 100) is None
    reason = meter.refuse(300, 101)
    assert reason and "token budget reached" in reason
    assert meter.refuse(1, 1) == reason, "once stopped, the meter stays stopped"


def test_meter_refuses_a_call_that_would_cross_the_cost_limit():
    meter = Meter.for_run(RunContext(model="gpt-4.1", max_cost=0.01))
    meter.record(4000, 0)  # $0.008
    assert meter.total.cost == pytest.approx(0.008)
    assert meter.refuse(1000, 0) is None
    assert "cost budget reached" in meter.refuse(1000, 1)


def test_a_cost_limit_on_an_unpriced_model_is_reported_not_enforced():
    meter = Meter.for_run(RunContext(model="local-llama", max_cost=0.0))
    assert meter.refuse(10_000, 10_000) is None
    assert any("not enforced" in note for note in meter.notes())


def test_steps_that_run_at_once_on_meters_of_their_own_share_the_limits():
    context = RunContext(model="gpt-4.1", max_tokens_per_run=1000, max_cost=0.01)
    meters = [Meter.for_run(context, share=3) for _ in range(3)]
    assert all(m.refuse(300, 30) is None for m in meters)
    assert sum(m.remaining_tokens() for m in meters) == 1000 // 3 * 3 - 3 * 330
    assert "token budget reached: 0 of 333 used" in Meter.for_run(context, share=3).refuse(
        300, 40)
    assert Meter.for_run(context, share=2).max_cost == pytest.approx(0.005)


def test_usage_adds_up_and_reads_back_from_state_data():
    total = Usage(calls=1, tokens_in=10, tokens_out=5, cost=0.1) + Usage.of(
        {"calls": 2, "tokens_in": 1, "tokens_out": 1, "cost": 0.2, "seconds": 3}
    )
    assert total.stats() == {"calls": 3, "tokens_in": 11, "tokens_out": 6, "cost": 0.3}


def test_calls_in_flight_hold_their_share_of_the_budget_until_recorded():
    meter = Meter.for_run(RunContext(max_tokens_per_run=1000))
    assert meter.refuse(400, 100) is None
    assert meter.remaining_tokens() == 500
    assert "token budget reached" in Meter.for_run(RunContext(max_tokens_per_run=1000)).refuse(
        900, 101)
    assert meter.refuse(400, 101) is not None, "the first call's reservation counts"
    meter = Meter.for_run(RunContext(max_tokens_per_run=1000))
    meter.refuse(400, 100)
    meter.record(300, 50, reserved=(400, 100))
    assert meter.remaining_tokens() == 650 and meter.refuse(500, 150) is None


def test_a_step_reports_its_usage_and_notes_as_a_state_update():
    meter = Meter.for_run(RunContext(model="gpt-4.1"), {"calls": 3})
    assert meter.state_update() == {}
    meter.record(100, 10)
    meter.note("candidate 1: dropped: does not parse")
    update = meter.state_update()
    assert update["usage"] == {"calls": 1, "tokens_in": 100, "tokens_out": 10,
                               "cost": pytest.approx(0.00028)}
    assert update["notes"] == ["candidate 1: dropped: does not parse"]
