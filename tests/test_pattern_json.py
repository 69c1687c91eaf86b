"""JSON patterns: selectors, operators, typed comparisons, wildcards, precedence and rejections."""

from __future__ import annotations

import pytest

from trailguard.pattern import LogEvent, PatternError, compile_pattern


def matches(pattern: str, message: str) -> bool:
    return compile_pattern(pattern).match(message) is not None


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        # selectors
        ('{ $.a.b.c = "x" }', '{"a":{"b":{"c":"x"}}}', True),
        ('{ $.a[1][0] = "x" }', '{"a":[[0],["x"]]}', True),
        ('{ $.a[2] = "x" }', '{"a":["x"]}', False),
        ("{ $.['a.b'].c = 1 }", '{"a.b":{"c":1}}', True),
        ("{ $.a-b = 1 }", '{"a-b":1}', True),
        ("{ $.A = 1 }", '{"a":1}', False),  # keys are case-sensitive
        ("{ $.a.b = 1 }", '{"a":[{"b":1}]}', False),  # plain keys do not look inside arrays
        # strings
        ("{ $.a = Ev*ent }", '{"a":"Ev*ent"}', True),
        ("{ $.a = Ev*ent }", '{"a":"EvXent"}', False),
        ("{ $.a = *Event }", '{"a":"PutEvent"}', True),
        ("{ $.a = Event* }", '{"a":"EventId"}', True),
        ("{ $.a = *ven* }", '{"a":"Event"}', True),
        ('{ $.a = "*" }', '{"a":""}', True),
        ("{ $.a = * }", '{"a":null}', False),
        ("{ $.a = * }", '{"a":false}', False),
        ("{ $.a = * }", '{"a":7}', True),
        ('{ $.a = "" }', '{"a":""}', True),
        ('{ $.a = "%bar%" }', '{"a":"bar"}', False),
        ('{ $.a = "%bar%" }', '{"a":"%bar%"}', True),
        ("{ $.a = true }", '{"a":"true"}', True),  # a bare true is the string "true"
        ("{ $.a = true }", '{"a":true}', False),
        ('{ $.a = "arn:aws:iam::1:root" }', '{"a":"arn:aws:iam::1:root"}', True),
        # numbers: exact decimal comparison
        ("{ $.a = 1 }", '{"a":1.0}', True),
        ("{ $.a = 1 }", '{"a":1e0}', True),
        ("{ $.a = 0.1 }", '{"a":0.1}', True),
        ("{ $.a = 1e-3 }", '{"a":0.001}', True),
        ("{ $.a = .5 }", '{"a":0.5}', True),
        ("{ $.a = 9007199254740993 }", '{"a":9007199254740993}', True),
        ("{ $.a > 9007199254740992 }", '{"a":9007199254740993}', True),
        ("{ $.a >= 1.5 }", '{"a":1.5}', True),
        ("{ $.a <= -1 }", '{"a":-2}', True),
        ("{ $.a < 0 }", '{"a":-0.0}', False),
        ("{ $.a > 0 }", '{"a":1e309}', False),
        ("{ $.a != 5 }", '{"a":6}', True),
        ("{ $.a != 5 }", '{"a":5.0}', False),
        # a number literal against strings compares its text as written (recorded for 1, 1.0, 1e3, 1e309)
        ("{ $.a = 1 }", '{"a":"1"}', True),
        ("{ $.a = 1.0 }", '{"a":"1.0"}', True),
        ("{ $.a = -1 }", '{"a":"-1"}', True),
        ("{ $.a = +1 }", '{"a":"+1"}', True),
        ("{ $.a = +1 }", '{"a":"1"}', False),
        ("{ $.a = 1e3 }", '{"a":"1e3"}', True),
        ("{ $.a = 1e3 }", '{"a":"1000"}', False),
        ("{ $.a = 1e309 }", '{"a":"1e309"}', True),
        # a number beyond the double range is neither equal nor unequal to a number literal (recorded)
        ("{ $.a != 1 }", '{"a":1e309}', False),
        ('{ $.a != "foo" }', '{"a":1e309}', True),
        ("{ $.a != 1 }", '{"a":"01"}', True),
        ("{ $.a > 0 }", '{"a":"5"}', False),  # ordering never holds for strings
        # quoted strings against numbers compare the number's normalised text
        ('{ $.a = "1000.0" }', '{"a":1e3}', True),
        ('{ $.a = "1.0E7" }', '{"a":1e7}', True),
        ("{ $.a = %^1\\.5$% }", '{"a":1.50}', True),
        ("{ $.a = %^4\\d\\d$% }", '{"a":404}', True),
        # != is false where = cannot apply
        ('{ $.a != "x" }', "{}", False),
        ('{ $.a != "x" }', '{"a":null}', False),
        ('{ $.a != "x" }', '{"a":[1]}', False),
        ('{ $.a != "x" }', '{"a":"y"}', True),
        ("{ $.a != * }", '{"a":"y"}', False),
        ("{ $.a != %x% }", '{"a":"y"}', True),
        ("{ $.a != %x% }", '{"a":"x"}', False),
        # a selector reaching an array or object fails both = and !=
        ("{ $.users = 1 }", '{"users":[1,2,3]}', False),
        ("{ $.users != 1 }", '{"users":[1,2,3]}', False),
        ("{ $.users != 1 }", '{"users":{"a":1}}', False),
        # IS / NOT EXISTS, keywords in any case
        ("{ $.a IS FALSE }", '{"a":false}', True),
        ("{ $.a is true }", '{"a":true}', True),
        ("{ $.a Is Null }", '{"a":null}', True),
        ("{ $.a IS TRUE }", '{"a":"true"}', False),
        ("{ $.a NOT EXISTS }", '{"a":null}', False),
        ("{ $.a not exists }", "{}", True),
        ("{ $.a.b NOT EXISTS }", '{"a":[{"b":1}]}', True),
        ("{ $.a.b NOT EXISTS }", '{"a":{"b":null}}', False),
        # wildcards iterate array elements and object values
        ("{ $.a[*].b = 2 }", '{"a":[{"b":1},{"b":2}]}', True),
        ("{ $.a.* = 2 }", '{"a":{"x":2}}', True),
        ("{ $.* = %111\\.% }", '{"x":"111.1","y":1}', True),
        ("{ $.a[*] NOT EXISTS }", '{"a":[]}', True),
        ("{ $.a[*] NOT EXISTS }", '{"a":[1]}', False),
        ("{ $.a[*] NOT EXISTS }", "{}", True),
        ("{ $.a[*].b NOT EXISTS }", '{"a":[{"c":1}]}', True),
        ("{ $.a[*] IS TRUE }", '{"a":[false,true]}', True),
        ("{ $.a[*] > 5 }", '{"a":[1,7]}', True),
        # precedence: && binds tighter than ||, parentheses group
        ("{ $.a = 1 || $.b = 1 && $.c = 1 }", '{"a":1}', True),
        ("{ ($.a = 1 || $.b = 1) && $.c = 1 }", '{"a":1}', False),
        ("{($.a=1)&&($.b=2)}", '{"a":1,"b":2}', True),
        ("{ ((($.a = 1))) }", '{"a":1}', True),
        # only one whole JSON object is a JSON event
        ("{ $.a = 1 }", '{"a":1} trailing', False),
        ("{ $.a = 1 }", '[{"a":1}]', False),
        ("{ $.a NOT EXISTS }", "plain text", False),
        ("{ $.a NOT EXISTS }", '"a string"', False),
        ("{ $.a = 1 }", '  {"a":1}  ', True),
        ("{ $.a = 1 }", '{"a":NaN}', False),
    ],
)
def test_json_semantics(pattern: str, message: str, expected: bool) -> None:
    assert matches(pattern, message) is expected


def test_or_of_equalities_agrees_with_each_clause() -> None:
    # The membership fast path for `$.x = A || $.x = B` must give what the clauses give one by one.
    names = ["CreateTrail", "1", "1.0", "*x", "1000.0"]
    pattern = compile_pattern("{ " + " || ".join(f'$.n = "{n}"' for n in names) + " }")
    for value in ['"CreateTrail"', "1", "1.0", '"1.0"', "1e3", '"*x"', '"zz"', "null", "[1]", "true"]:
        message = f'{{"n":{value}}}'
        expected = any(compile_pattern(f'{{ $.n = "{n}" }}').match(message) for n in names)
        assert (pattern.match(message) is not None) == expected, message


def test_one_parse_serves_many_patterns() -> None:
    event = LogEvent('{"eventName":"ConsoleLogin","errorMessage":"Failed authentication"}')
    first = compile_pattern("{ $.eventName = ConsoleLogin }")
    second = compile_pattern('{ $.errorMessage = "Failed authentication" }')
    assert first.test_event(event) and second.test_event(event)
    assert event.json is event.json  # parsed once, cached


def test_pre_parsed_records_are_used_as_is() -> None:
    event = LogEvent("{}", parsed={"eventName": "ConsoleLogin"})
    assert compile_pattern("{ $.eventName = ConsoleLogin }").test_event(event)


@pytest.mark.parametrize(
    ("pattern", "aws_message", "position"),
    [
        ("{ $.a == 1 }", "Invalid metric filter pattern", 7),
        ("{ $.a = null }", "Invalid metric filter pattern", 8),
        ("{ $.a = 1 AND $.b = 2 }", "Invalid metric filter pattern", 10),
        ("{ $.a IS NOT NULL }", "Invalid character(s) in term 'NOT'", 9),
        ("{ $.a EXISTS }", "Invalid character(s) in term 'EXISTS'", 6),
        ("{ $.a NOT THERE }", "Invalid character(s) in term 'THERE'", 10),
        ("{ $.a = 1 } x", "If a filter pattern starts with '{' it must end with '}'", 12),
        ("{ $.a = 1", "If a filter pattern starts with '{' it must end with '}'", 8),
        ("{ $.a = 1e2147483648 }", "Invalid metric filter pattern", 8),
        ('{ $.a > "0" }', "Invalid character(s) in term '\"0\"'", 8),
        ("{ $.a = a:b }", "Invalid character(s) in term ':'", 9),
        ("{ $.a = arn:aws:iam::1:root }", "Invalid character(s) in term ':'", 11),
        ("{ $.a > abc }", "Invalid metric filter pattern", 8),
        ("{ $.a > %1% }", "Invalid metric filter pattern", 8),
        ("{ $.a > * }", "Invalid metric filter pattern", 8),
        ("{ $[1] = 2 }", "Invalid character(s) in term '$['", 3),
        ("{ $ = 2 }", "Invalid character(s) in term '$ '", 3),
        ("{ $.a[-1] = 2 }", "Invalid character(s) in term '[-'", 6),
        ('{ $.["a.b"] = 2 }', "Invalid character(s) in term '$.[\"'", 5),
        ('{ $.a.["b"] = 2 }', "Invalid character(s) in term '.[\"'", 7),
        ("{ $['a.b'] = 2 }", "Invalid character(s) in term '$['", 3),
        ("{ }", "Invalid metric filter pattern", 2),
        ("{ ($.a = 1 }", "Invalid metric filter pattern", 11),
        ("{ $.a = 1 && }", "Invalid metric filter pattern", 13),
        ("{ a = 1 }", "Invalid metric filter pattern", 2),
        ("{ $.a ! 1 }", "Invalid metric filter pattern", 6),
        ('{ $.a = "open }', "Invalid character(s) in term '\"open }'", 8),
    ],
)
def test_invalid_json_patterns(pattern: str, aws_message: str, position: int) -> None:
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    assert caught.value.aws_message == aws_message
    assert caught.value.position == position


def test_wildcard_quotas() -> None:
    compile_pattern("{ $.a[*] = 1 || $.b.* = 1 || $.c[*].d = 1 }")
    with pytest.raises(PatternError) as caught:
        compile_pattern("{ $.a[*].* = 1 }")
    assert caught.value.aws_message == (
        "Your filter pattern has a JSON path selector that exceeds the maximum of 1 wildcard allowed per json selector."
    )
    with pytest.raises(PatternError, match="maximum of 3 wildcards"):
        compile_pattern("{ $.a[*] = 1 || $.b.* = 1 || $.c[*] = 1 || $.d[*] = 1 }")


def test_nesting_deeper_than_one_hundred_parentheses_is_refused_not_a_crash() -> None:
    compile_pattern("{ " + "(" * 100 + "$.a = 1" + ")" * 100 + " }")
    for depth in (101, 500):
        with pytest.raises(PatternError) as caught:
            compile_pattern("{ " + "(" * depth + "$.a = 1" + ")" * depth + " }")
        assert caught.value.aws_message == "Invalid metric filter pattern" and caught.value.position == 102
