"""The published JSON Schemas stay in step with the models, and the loader names bad fields."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from test_reports import healed_state

from healloop.errors import InputError
from healloop.reports.schemas import (
    SCHEMAS,
    load_report,
    main,
    schema_path,
    stale_schemas,
    write_schemas,
)
from healloop.state import BlastRadius, ReviewReport


def test_shipped_schemas_are_up_to_date():
    stale = stale_schemas()
    assert stale == [], (
        f"schemas/ is stale for {stale}: run `uv run python -m healloop.reports.schemas`"
    )
    assert main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_shipped_schema_is_a_valid_json_schema(name):
    schema = json.loads(schema_path(name).read_text())
    Draft202012Validator.check_schema(schema)


def test_a_changed_model_shows_up_as_a_stale_schema(tmp_path):
    write_schemas(tmp_path)
    assert stale_schemas(tmp_path) == []
    path = tmp_path / "impact.schema.json"
    schema = json.loads(path.read_text())
    del schema["properties"]["risk"]
    path.write_text(json.dumps(schema))
    (tmp_path / "review.schema.json").unlink()
    assert stale_schemas(tmp_path) == ["review", "impact"]


def test_reports_healloop_writes_match_their_schemas():
    state = healed_state()
    review = json.loads(schema_path("review").read_text())
    impact = json.loads(schema_path("impact").read_text())
    Draft202012Validator(review).validate(state["review"]["calc/ops.py"])
    Draft202012Validator(impact).validate(state["blast_radius"]["calc/ops.py"])
    bad = {**state["review"]["calc/ops.py"], "parses": "maybe"}
    assert not Draft202012Validator(review).is_valid(bad)


def test_loader_returns_the_model(tmp_path):
    path = tmp_path / "review.json"
    path.write_text(json.dumps(healed_state()["review"]["calc/ops.py"]))
    review = load_report(path, ReviewReport)
    assert review.findings[0].message == "`os` imported but unused"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["findings"][1].update(line="two"),
         r"findings\[1\]\.line: Input should be a valid integer"),
        (lambda d: d["findings"][0].update(severity="fatal"),
         r"findings\[0\]\.severity: Input should be 'info', 'warning' or 'error'"),
        (lambda d: d.pop("target"), r"\(document\)|target: Field required"),
        (lambda d: d["metrics"].update(lines="6"), r"metrics\.lines: Input should be a valid"),
    ],
)
def test_loader_names_the_field_that_does_not_match(tmp_path, change, message):
    data = healed_state()["review"]["calc/ops.py"]
    change(data)
    path = tmp_path / "review.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message) as caught:
        load_report(path, ReviewReport)
    assert f"{path} does not match review.schema.json" in str(caught.value)


def test_loader_rejects_a_file_for_another_schema(tmp_path):
    path = tmp_path / "impact.json"
    path.write_text(json.dumps(healed_state()["review"]["calc/ops.py"]))
    with pytest.raises(InputError, match="does not match impact.schema.json"):
        load_report(path, BlastRadius)


def test_loader_reports_missing_and_malformed_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_report(tmp_path / "nope.json", ReviewReport)
    broken = tmp_path / "broken.json"
    broken.write_text('{"target": "a.py",\n "findings": [}')
    with pytest.raises(InputError, match="not JSON: line 2 column 15"):
        load_report(broken, ReviewReport)
