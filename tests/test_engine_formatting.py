"""Java-style number formatting, AWS timestamps and compact JSON."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trailguard.engine.formatting import (
    aws_json,
    java_double,
    java_number,
    json_fragment,
    json_timestamp,
    prepared_json,
    reason_timestamp,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (21.5, "21.5"),
        (2.0, "2.0"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (-1.5, "-1.5"),
        (100.0, "100.0"),
        (1e7, "1.0E7"),
        (12345678.0, "1.2345678E7"),
        (9999999.0, "9999999.0"),
        (9999999.5, "9999999.5"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (0.00012, "1.2E-4"),
        (1.5e-10, "1.5E-10"),
        (3.6266666666666665, "3.6266666666666665"),
        (0.2872183414376726, "0.2872183414376726"),
        (84.93923823723915, "84.93923823723915"),
        (1e21, "1.0E21"),
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (5e-324, "4.9E-324"),
        (123456.789, "123456.789"),
        (-2.5e-5, "-2.5E-5"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (math.nan, "NaN"),
    ],
)
def test_java_double(value: float, text: str) -> None:
    assert java_double(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_java_double_round_trips(value: float) -> None:
    text = java_double(value)
    assert float(text) == value
    mantissa = text.split("E")[0]
    assert "." in mantissa and not mantissa.endswith(".")


def test_timestamps() -> None:
    ms = 1661485589897  # 2022-08-26T03:46:29.897Z
    assert json_timestamp(ms) == "2022-08-26T03:46:29.897+0000"
    assert reason_timestamp(1661485200000) == "26/08/22 03:40:00"
    assert json_timestamp(0) == "1970-01-01T00:00:00.000+0000"


def test_aws_json() -> None:
    doc: dict[str, object] = {"a": 1, "b": 1.0, "c": None, "d": [True, False], "e": 'x/é"', "f": 1e7, "g": {"h": []}}
    text = aws_json(doc)
    assert text == '{"a":1,"b":1.0,"c":null,"d":[true,false],"e":"x/é\\"","f":1.0E7,"g":{"h":[]}}'
    assert json.loads(text) == {**doc, "f": 1e7}
    with pytest.raises(TypeError):
        aws_json({"x": object()})


def reference_json(value: object) -> str:
    """The plainest writer of aws_json's format: json's own string escaping, Java doubles, str() of other keys."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{reference_json(str(k))}:{reference_json(v)}" for k, v in value.items()) + "}"
    assert isinstance(value, (list, tuple))
    return "[" + ",".join(reference_json(v) for v in value) + "]"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text(st.characters(codec=None), max_size=8),  # lone surrogates included
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(codec=None), max_size=5) | st.integers(-5, 5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_aws_json_writes_what_the_plainest_writer_writes(value: object) -> None:
    """orjson writes it; what orjson refuses (lone surrogates, integers beyond 64 bits) goes through placeholders,
    and the text is the same either way."""
    assert aws_json(value) == reference_json(value)


def test_aws_json_past_what_orjson_accepts() -> None:
    assert (
        aws_json({"a\ud800": ["b\udc00", 2**70, -(2**70), 1.0e7]})
        == '{"a\ud800":["b\udc00",1180591620717411303424,-1180591620717411303424,1.0E7]}'
    )
    assert (
        aws_json({"nested": json_fragment('{"x":1.0E7}'), "n": java_number(1e-4)})
        == '{"nested":{"x":1.0E7},"n":1.0E-4}'
    )
    assert prepared_json({"k": "\ud800", "v": java_number(2.0)}) == '{"k":"\ud800","v":2.0}'
