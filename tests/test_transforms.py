"""Field transforms, dotted paths and COMPUTED templates: the vocabulary is exact and checked."""

from __future__ import annotations

import copy
import doctest
import math
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sync_sdk.transforms
from sync_sdk.errors import SyncSdkError
from sync_sdk.transforms import (
    FieldTransform,
    TransformError,
    compile_transform,
    get_path,
    path_problem,
    render_template,
    set_path,
    template_problem,
    transform_problem,
)

VOCABULARY = (
    "uppercase, lowercase, trim, number, boolean, string, default:<json>, concat:<separator>, "
    "split:<separator>"
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


def call(expression: str, value: object) -> object:
    return compile_transform(expression)(value)


def test_docstring_examples() -> None:
    result = doctest.testmod(sync_sdk.transforms, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0


# ---------------------------------------------------------------- the vocabulary, exactly


@pytest.mark.parametrize(
    "expression",
    [
        "uppercase",
        "lowercase",
        "trim",
        "number",
        "boolean",
        "string",
        "default:0",
        'default:"n/a"',
        'default:{"a": [1, null]}',
        "default:null",
        "concat:",
        "concat:, ",
        "split:",
        "split:|",
        "split::",  # the separator is everything after the first colon
    ],
)
def test_vocabulary_is_accepted(expression: str) -> None:
    assert transform_problem(expression) is None
    transform = compile_transform(expression)
    assert transform.expression == expression


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        # ContractSpec's startsWith lets these through, and an unknown one returns the value
        (
            "uppercaseXYZ",
            "unknown transform 'uppercaseXYZ' (did you mean 'uppercase'?); use one of "
            f"{VOCABULARY} (exact and case-sensitive)",
        ),
        ("upper", "unknown transform 'upper' (did you mean 'uppercase'?)"),
        ("UPPERCASE", "unknown transform 'UPPERCASE' (did you mean 'uppercase'?)"),
        ("trim ", "unknown transform 'trim ' (did you mean 'trim'?)"),
        (" trim", "unknown transform ' trim' (did you mean 'trim'?)"),
        ("bool", "unknown transform 'bool' (did you mean 'boolean'?)"),
        ("Concat:,", "unknown transform 'Concat:,' (did you mean 'concat:<separator>'?)"),
        ("numbers", "unknown transform 'numbers' (did you mean 'number'?)"),
        ("eval:1+1", f"unknown transform 'eval:1+1'; use one of {VOCABULARY}"),
        ("value.toUpperCase()", "unknown transform 'value.toUpperCase()'"),
        ("", f"is empty; use one of {VOCABULARY}"),
        ("  ", f"is blank; use one of {VOCABULARY}"),
        ("uppercase:", "'uppercase' takes no argument: write 'uppercase', not 'uppercase:'"),
        ("number:2", "'number' takes no argument: write 'number', not 'number:2'"),
        ("concat", "'concat' needs a colon and its argument: concat:<separator> (an empty "),
        ("split", "'split' needs a colon and its argument: split:<separator> (an empty "),
        ("default", "'default' needs a colon and its argument: default:<json>"),
        ("default:", 'default: needs a JSON value after the colon, e.g. default:"n/a"'),
        ("default:  ", "default: needs a JSON value after the colon"),
        (
            "default:n/a",
            "default: 'n/a' is not JSON (Expecting value at char 0); a text default is quoted, "
            'e.g. default:"n/a"',
        ),
        ("default:{", "default: '{' is not JSON (Expecting property name enclosed"),
        ("default:NaN", "default: 'NaN' is not JSON (NaN is not JSON)"),
        ("default:-Infinity", "default: '-Infinity' is not JSON (-Infinity is not JSON)"),
        ("default:1e999", "default: '1e999' is not JSON (1e999 is out of range"),
        ("default:[1, NaN]", "default: '[1, NaN]' is not JSON (NaN is not JSON)"),
        ("default:1 2", "default: '1 2' is not JSON (Extra data at char 2)"),
    ],
)
def test_expression_outside_the_vocabulary(expression: str, message: str) -> None:
    problem = transform_problem(expression)
    assert problem is not None
    assert problem.startswith(message)
    with pytest.raises(TransformError) as raised:
        compile_transform(expression)
    assert str(raised.value) == problem


@pytest.mark.parametrize(
    ("expression", "message"),
    [(None, "must be a string, not null"), (12, "must be a string, not an int")],
)
def test_expression_of_another_type(expression: Any, message: str) -> None:
    assert transform_problem(expression) == message
    with pytest.raises(TransformError, match=message):
        compile_transform(expression)


def test_expression_without_a_close_name_gets_no_guess() -> None:
    problem = transform_problem("int")
    assert problem == f"unknown transform 'int'; use one of {VOCABULARY} (exact and case-sensitive)"


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize(
    "expression",
    [
        "x" * 1_000_000,
        "upper" + "X" * 1_000_000,
        "default:" + "x" * 1_000_000,
        "default:" + "[" * 100_000,  # deeper than the JSON parser's recursion limit
        "default:" + "9" * 10_000,  # more digits than Python converts to an int
        "uppercase:" + "y" * 1_000_000,
        ["junk"] * 100_000,
        10**10_000,  # too long for repr()
        BrokenRepr(),
    ],
    ids=["junk", "near-miss", "default-junk", "deep", "digits", "argument", "list", "int", "repr"],
)
def test_problem_is_bounded_for_huge_expressions(expression: Any) -> None:
    problem = transform_problem(expression)
    assert problem is not None
    assert len(problem) < 400


def test_bounded_message_shows_the_start_and_the_length() -> None:
    problem = transform_problem("x" * 1_000_000)
    assert problem is not None
    assert f"'{'x' * 60}'... (1000000 characters)" in problem


def test_deeply_nested_default_is_accepted_and_copied() -> None:
    default = compile_transform("default:" + "[" * 500 + "]" * 500)
    first, second = default(None), default(None)
    assert first == second
    assert first is not second


# ---------------------------------------------------------------- semantics


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("uppercase", "ada é", "ADA É"),
        ("uppercase", 12, 12),
        ("uppercase", ["a"], ["a"]),
        ("lowercase", "ADA", "ada"),
        ("lowercase", True, True),
        ("trim", "  ada \t\n", "ada"),
        ("trim", {"a": " b "}, {"a": " b "}),
        ("default:0", None, 0),
        ("default:0", "", ""),  # only a missing value is replaced, as ContractSpec's ??
        ("default:0", False, False),
        ('default:"n/a"', None, "n/a"),
        ('default:"n/a"', "x", "x"),
        ("default:null", None, None),
        ('default:{"tier": "free"}', None, {"tier": "free"}),
        ("concat:", ["Ada", "Lovelace"], "Ada Lovelace"),
        ("concat:, ", ["a", None, 1, 2.5, True, {"k": [1]}], 'a, , 1, 2.5, true, {"k":[1]}'),
        ("concat:-", [], ""),
        ("concat:-", "already text", "already text"),
        ("concat:-", 5, 5),
        ("split:", "a,b,,c", ["a", "b", "", "c"]),
        ("split:, ", "a, b,c", ["a", "b,c"]),
        ("split:|", "", [""]),
        ("split:|", ["a|b"], ["a|b"]),
        ("number", 42, 42),
        ("number", 10**30, 10**30),
        ("number", 2.5, 2.5),
        ("number", 3.0, 3),
        ("number", -0.0, 0),
        ("number", " 42 ", 42),
        ("number", "+7", 7),
        ("number", "007", 7),
        ("number", "-3.50", -3.5),
        ("number", ".5", 0.5),
        ("number", "5.", 5),
        ("number", "1e3", 1000),
        ("number", "1E-2", 0.01),
        ("number", "1e-400", 0),
        ("number", "123456789012345678901234567890", 123456789012345678901234567890),
        ("number", "1e20", 1e20),  # beyond 2**53 an integral float is not an exact integer
        ("number", 2.0**53, 2**53),
        ("boolean", True, True),
        ("boolean", False, False),
        ("boolean", 1, True),
        ("boolean", 0, False),
        ("boolean", 1.0, True),
        ("boolean", "true", True),
        ("boolean", " TRUE ", True),
        ("boolean", "Yes", True),
        ("boolean", "1", True),
        ("boolean", "false", False),  # JavaScript's Boolean("false") is true
        ("boolean", "NO", False),
        ("boolean", "0", False),
        ("string", "ada", "ada"),
        ("string", True, "true"),
        ("string", False, "false"),
        ("string", 42, "42"),
        ("string", 1.0, "1.0"),
        ("string", 0.1, "0.1"),
        ("string", {"b": 1, "a": [True, None]}, '{"b":1,"a":[true,null]}'),
        ("string", ["é", 1], '["é",1]'),
        ("string", [], "[]"),
    ],
)
def test_transform_semantics(expression: str, value: object, expected: object) -> None:
    result = call(expression, value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "expression",
    ["uppercase", "lowercase", "trim", "number", "boolean", "string", "concat:", "split:"],
)
def test_missing_value_stays_missing(expression: str) -> None:
    assert call(expression, None) is None  # JavaScript's String(null) is "null", Number(null) 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("twelve", "number: 'twelve' is not a decimal number"),
        ("", "number: '' is not a decimal number"),  # JavaScript's Number("") is 0
        ("  ", "number: '  ' is not a decimal number"),
        ("0x10", "number: '0x10' is not a decimal number"),
        ("1_000", "number: '1_000' is not a decimal number"),
        ("١٢٣", "number: '١٢٣' is not a decimal number"),  # non-ASCII digits
        ("NaN", "number: 'NaN' is not a decimal number"),
        ("Infinity", "number: 'Infinity' is not a decimal number"),
        ("1e400", "number: '1e400' is out of range (no NaN or infinity)"),
        pytest.param(
            "9" * 5000,
            "number: '" + "9" * 60 + "'... (5000 characters) has too many digits",
            id="5000-digits",
        ),
        (math.nan, "number: nan is out of range (no NaN or infinity)"),
        (math.inf, "number: inf is out of range (no NaN or infinity)"),
        (True, "number: a boolean is not a number (use the boolean transform)"),
        ([1], "number: a list is not a number"),
        ({"a": 1}, "number: an object is not a number"),
    ],
)
def test_number_refuses_what_is_not_a_number(value: object, message: str) -> None:
    with pytest.raises(TransformError) as raised:
        call("number", value)
    assert str(raised.value) == message


@pytest.mark.parametrize("value", ["maybe", "", "t", "on", 2, -1, 0.5, math.nan, [], {}])
def test_boolean_refuses_other_spellings(value: object) -> None:
    with pytest.raises(TransformError, match=r"^boolean: .* is not one of true/false, yes/no, 1/0"):
        call("boolean", value)


@pytest.mark.parametrize(
    ("expression", "value", "message"),
    [
        ("string", math.nan, "string: nan is not a JSON number"),
        ("string", -math.inf, "string: -inf is not a JSON number"),
        ("string", {1, 2}, "string: a set is not a JSON value"),
        ("string", (1, 2), "string: a tuple is not a JSON value"),
        ("string", {"a": {1}}, "string: the object is not JSON (Object of type set is not JSON"),
        ("string", [math.nan], "string: the list is not JSON (Out of range float values"),
        pytest.param("string", 10**5000, "string: an integer with too many digits", id="huge-int"),
        ("concat:,", ["a", math.inf], "concat: inf is not a JSON number"),
        ("concat:,", ["a", object()], "concat: an object is not a JSON value"),
    ],
)
def test_text_refuses_values_without_json_text(
    expression: str, value: object, message: str
) -> None:
    with pytest.raises(TransformError) as raised:
        call(expression, value)
    assert str(raised.value).startswith(message)


def test_default_gives_each_record_its_own_copy() -> None:
    default = compile_transform('default:{"tags": []}')
    first = default(None)
    assert isinstance(first, dict)
    first["tags"].append("mutated")
    assert default(None) == {"tags": []}


def test_compiled_transform_is_a_frozen_value() -> None:
    upper = compile_transform("uppercase")
    assert repr(upper) == "FieldTransform(expression='uppercase')"
    assert upper == compile_transform("uppercase")
    assert upper != compile_transform("lowercase")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        upper.expression = "lowercase"  # type: ignore[misc]


def test_transform_error_is_a_typed_value_error() -> None:
    with pytest.raises(TransformError) as raised:
        compile_transform("upper")
    assert isinstance(raised.value, SyncSdkError)
    assert isinstance(raised.value, ValueError)
    problem = raised.value.to_problem()
    assert (problem["code"], problem["status"]) == ("TRANSFORM_FAILED", 422)
    assert problem["detail"].startswith("unknown transform 'upper'")


# ---------------------------------------------------------------- dotted paths

RECORD: dict[str, Any] = {
    "email": "ada@example.com",
    "contact": {"address": {"city": "London"}, "phones": ["1", "2"], "fax": None},
    "0": "zero",
    "a.b": "dotted key",
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("email", "ada@example.com"),
        ("contact.address.city", "London"),
        ("contact.address", {"city": "London"}),
        ("contact.phones", ["1", "2"]),
        ("0", "zero"),
        ("missing", None),
        ("contact.missing.deeper", None),
        ("contact.fax.number", None),  # None is not an object
        ("email.domain", None),  # a string is not an object
        ("contact.phones.0", None),  # list indexes are not supported
        ("a.b", None),  # a key holding a dot cannot be reached
    ],
)
def test_get_path(path: str, expected: object) -> None:
    assert get_path(RECORD, path) == expected


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "is empty"),
        ("a..b", "has an empty segment in 'a..b' (a leading, trailing or doubled '.')"),
        (".a", "has an empty segment in '.a'"),
        ("a.", "has an empty segment in 'a.'"),
        ("a. b", "has spaces around the segment ' b' in 'a. b'"),
        (3, "must be a string, not an int"),
    ],
)
def test_malformed_paths(path: Any, problem: str) -> None:
    assert (path_problem(path) or "").startswith(problem)
    with pytest.raises(TransformError, match=r"^invalid path"):
        get_path(RECORD, path)
    with pytest.raises(TransformError, match=r"^invalid path"):
        set_path({}, path, 1)


@pytest.mark.parametrize("path", ["a", "a.b.c", "First Name", "items[0]", "0"])
def test_well_formed_paths(path: str) -> None:
    assert path_problem(path) is None


def test_set_path_creates_intermediate_objects() -> None:
    target: dict[str, object] = {"contact": {"email": "x"}}
    set_path(target, "contact.address.city", "London")
    set_path(target, "contact.email", "ada@example.com")
    set_path(target, "id", 7)
    assert target == {
        "contact": {"email": "ada@example.com", "address": {"city": "London"}},
        "id": 7,
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("contact.email.domain", "cannot set 'contact.email.domain': 'contact.email' is a string"),
        ("contact.fax.number", "cannot set 'contact.fax.number': 'contact.fax' is null"),
        ("contact.phones.first", "cannot set 'contact.phones.first': 'contact.phones' is a list"),
        ("id.x.y.z", "cannot set 'id.x.y.z': 'id' is an int, not an object"),
    ],
)
def test_set_path_refuses_to_replace_a_value_and_changes_nothing(path: str, message: str) -> None:
    target: dict[str, Any] = {"contact": {"email": "x", "fax": None, "phones": []}, "id": 7}
    before = copy.deepcopy(target)
    with pytest.raises(TransformError) as raised:
        set_path(target, path, "value")
    assert str(raised.value).startswith(message)
    assert target == before


# ---------------------------------------------------------------- COMPUTED templates


@pytest.mark.parametrize(
    "template", ["${a}", "Dear ${first} ${last},", "${a.b.c}!", "$ {x} ${y} }", "${a}}", "${0}"]
)
def test_valid_templates(template: str) -> None:
    assert template_problem(template) is None


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Hello", "has no ${field.path} reference (a fixed value is a CONSTANT mapping)"),
        ("", "has no ${field.path} reference"),
        ("$first {last}", "has no ${field.path} reference"),
        ("${first} ${last", "has an unbalanced '${' at char 9: no closing '}'"),
        ("${", "has an unbalanced '${' at char 0: no closing '}'"),
        ("Hi ${}", "has a reference at char 3 whose path is empty"),
        ("${a..b}", "has a reference at char 0 whose path has an empty segment in 'a..b'"),
        ("${ a }", "has a reference at char 0 whose path has spaces around the segment ' a '"),
        ("${a${b}}", "has a '${' inside the reference at char 0"),
        (None, "must be a string, not null"),
    ],
)
def test_invalid_templates(template: Any, problem: str) -> None:
    assert (template_problem(template) or "").startswith(problem)
    with pytest.raises(TransformError, match=r"^invalid template"):
        render_template(template, {})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${email}", "ada@example.com"),
        ("${contact.address.city}, UK", "London, UK"),
        ("[${missing}][${contact.fax}][${contact.phones.0}]", "[][][]"),
        ("${contact.phones}", '["1","2"]'),
        ("${contact.address}", '{"city":"London"}'),
        ("${n} ${f} ${t}", "0 1.5 false"),
        ("${a}}", "x}"),
        ("${__class__}${email.__class__}", ""),  # names, never attributes or code
        ("${code}", "${email}"),  # a value is not expanded again
    ],
)
def test_render_template(template: str, expected: str) -> None:
    record = {**RECORD, "n": 0, "f": 1.5, "t": False, "a": "x", "code": "${email}"}
    assert render_template(template, record) == expected


def test_render_template_refuses_a_value_without_text() -> None:
    with pytest.raises(TransformError, match=r"^template: nan is not a JSON number"):
        render_template("${x}", {"x": math.nan})


# ---------------------------------------------------------------- properties

EXPRESSIONS = st.one_of(
    st.text(max_size=30),
    st.builds(
        str.__add__,
        st.sampled_from(
            [
                "uppercase",
                "lowercase",
                "trim",
                "number",
                "boolean",
                "string",
                "default:",
                "concat:",
                "split:",
                "default",
            ]
        ),
        st.text(max_size=20),
    ),
    JSON_VALUES.map(lambda value: "default:" + repr(value)),
    JSON_VALUES,
)


@settings(max_examples=400)
@given(EXPRESSIONS)
def test_problem_never_raises_and_accepted_expressions_compile(expression: Any) -> None:
    problem = transform_problem(expression)
    if problem is None:
        assert isinstance(compile_transform(expression), FieldTransform)
    else:
        assert isinstance(problem, str)
        assert len(problem) < 400
        with pytest.raises(TransformError):
            compile_transform(expression)


ACCEPTED = [
    "uppercase",
    "lowercase",
    "trim",
    "number",
    "boolean",
    "string",
    "default:0",
    'default:{"a": []}',
    "concat:",
    "concat:; ",
    "split:",
    "split:ab",
]


@settings(max_examples=400)
@given(st.sampled_from(ACCEPTED), JSON_VALUES)
def test_compiled_transforms_raise_only_transform_error(expression: str, value: object) -> None:
    try:
        result = call(expression, value)
    except TransformError:
        return
    if value is None:
        return
    if expression == "number":
        assert isinstance(result, int | float) and not isinstance(result, bool)
        assert math.isfinite(result)
    elif expression == "boolean":
        assert isinstance(result, bool)
    elif expression == "string":
        assert isinstance(result, str)


@given(st.text(max_size=40), st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=4))
def test_templates_render_or_refuse(template: str, record: dict[str, object]) -> None:
    if template_problem(template) is None:
        assert isinstance(render_template(template, record), str)
    else:
        with pytest.raises(TransformError):
            render_template(template, record)
