"""The validators compiled from each input model's declared fields (``validation.validator_for``).

Table-driven over each field kind (on a sample model declaring every one) and over each of the six
input models, plus two properties: a compiled validator raises nothing but ``ValidationError``
on arbitrary JSON-like input, and the create input's accepts and refuses exactly what the
hand-written validator it replaced did, with the same issues (a copy of it is the oracle below).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import pytest
from attrs import frozen
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_sdk import ValidationError
from sync_sdk.contracts import CREATE_SYNC_CONFIG, Example, lint
from sync_sdk.errors import ValidationIssue, safe_repr
from sync_sdk.models import (
    AddFieldMappingInput,
    AuthType,
    Check,
    CreateConnectionInput,
    CreateIntegrationInput,
    CreateSyncConfigInput,
    ListSyncRunsInput,
    MappingType,
    ModelCheck,
    RequiredWhen,
    SyncDirection,
    SyncStatus,
    TransportType,
    TriggerSyncInput,
    camel_case,
)
from sync_sdk.validation import (
    MAX_STRING_LENGTH,
    create_input_fields,
    cron_problem,
    fields_for,
    is_blank,
    json_issues,
    validator_for,
)

from .conftest import VALID_INPUT

INPUT_MODELS = (
    CreateSyncConfigInput,
    CreateIntegrationInput,
    CreateConnectionInput,
    AddFieldMappingInput,
    TriggerSyncInput,
    ListSyncRunsInput,
)


class Color(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


def _extra_problem(color: Color | None, extra: object) -> str | None:
    return (
        "must be a list when color is blue"
        if color is Color.BLUE and extra is not None and (not isinstance(extra, list))
        else None
    )


@frozen(kw_only=True)
class Sample:
    """Every field kind and fact of the vocabulary, and both kinds of model check."""

    text: str = attrs.field(metadata={"non_empty": True})
    note: str | None = None
    flag: bool = False
    count: int = attrs.field(default=5, metadata={"min": 1, "max": 10})
    color: Color | None = None
    extra: Any = attrs.field(default=None, metadata={"json": True})
    cron: str | None = attrs.field(default=None, metadata={"non_empty": True, "cron": True})
    level: int

    checks: ClassVar[tuple[ModelCheck, ...]] = (
        RequiredWhen("cron", "flag", (True,)),
        RequiredWhen("note", "color", (Color.RED,)),
        Check("extra", "invalid_extra", _extra_problem, ("color", "extra")),
    )


SAMPLE = {"text": "t", "level": 0}


def issues_of(model: type, data: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as caught:
        validator_for(model)(data)
    return [(i.path, i.code, i.message) for i in caught.value.issues]


# -- each field kind ----------------------------------------------------------------------------


def test_sample_defaults_and_values() -> None:
    assert validator_for(Sample)(SAMPLE) == Sample(text="t", level=0)
    # null is absent: the default
    nulls = {"note": None, "flag": None, "count": None, "color": None, "extra": None, "cron": None}
    assert validator_for(Sample)({**SAMPLE, **nulls}) == Sample(text="t", level=0)
    full = {
        **SAMPLE,
        "note": "",  # not non_empty: an empty string is a value
        "flag": True,
        "count": 10,
        "color": "red",
        "extra": {"a": [1, 2.5, None, True, "x"]},
        "cron": "*/5 * * * *",
    }
    sample = validator_for(Sample)(full)
    assert sample.color is Color.RED and sample.count == 10 and sample.extra == full["extra"]
    assert fields_for(Sample)(full) == (
        "t",
        "",
        True,
        10,
        Color.RED,
        full["extra"],
        full["cron"],
        0,
    )
    # enum members are taken as they are (keyword callers pass them)
    assert validator_for(Sample)({**SAMPLE, "color": Color.BLUE}).color is Color.BLUE


TAB_CRON = "*/5\t* * * *"

SAMPLE_CASES: list[tuple[str, dict[Any, Any], list[tuple[str, str, str]]]] = [
    ("required missing", {"text": "t"}, [("level", "required", "is required")]),
    ("required null", {"text": None, "level": 1}, [("text", "required", "is required")]),
    ("str type", {**SAMPLE, "text": 1}, [("text", "invalid_type", "must be a string, not int")]),
    ("str blank", {**SAMPLE, "text": "   "}, [("text", "blank", "must not be blank")]),
    ("str invisible blank", {**SAMPLE, "text": "\u200b"}, [("text", "blank", "must not be blank")]),
    (
        "str too long",
        {**SAMPLE, "note": "x" * (MAX_STRING_LENGTH + 1)},
        [("note", "too_long", f"must be at most {MAX_STRING_LENGTH} characters, got 1025")],
    ),
    (
        "str control",
        {**SAMPLE, "note": "a\nb"},
        [("note", "invalid_characters", "must not contain control characters: U+000A at index 1")],
    ),
    (
        "str surrogate",
        {**SAMPLE, "text": "a\ud800"},
        [
            (
                "text",
                "invalid_characters",
                "must be encodable as UTF-8: lone surrogate U+D800 at index 1",
            )
        ],
    ),
    ("optional str blank is fine", {**SAMPLE, "note": "  "}, []),
    (
        "optional str type",
        {**SAMPLE, "note": []},
        [("note", "invalid_type", "must be a string, not list")],
    ),
    (
        "bool type",
        {**SAMPLE, "flag": 1, "cron": "@daily"},
        [("flag", "invalid_type", "must be a boolean, not int")],
    ),
    (
        "int type",
        {**SAMPLE, "level": "1"},
        [("level", "invalid_type", "must be an integer, not str")],
    ),
    (
        "int bool",
        {**SAMPLE, "level": True},
        [("level", "invalid_type", "must be an integer, not bool")],
    ),
    (
        "int float",
        {**SAMPLE, "count": 2.0},
        [("count", "invalid_type", "must be an integer, not float")],
    ),
    ("int min", {**SAMPLE, "count": 0}, [("count", "out_of_range", "must be at least 1")]),
    ("int max", {**SAMPLE, "count": 11}, [("count", "out_of_range", "must be at most 10")]),
    ("int huge", {**SAMPLE, "count": 10**5000}, [("count", "out_of_range", "must be at most 10")]),
    ("int unbounded", {**SAMPLE, "level": -(10**30)}, []),
    (
        "enum value",
        {**SAMPLE, "color": "RED"},
        [("color", "invalid_enum", "must be one of red, blue, got 'RED'")],
    ),
    (
        "enum type",
        {**SAMPLE, "color": 1},
        [("color", "invalid_type", "must be a string, one of red, blue; got int")],
    ),
    (
        "enum other member",
        {**SAMPLE, "color": SyncDirection.INBOUND},
        [("color", "invalid_type", "must be a string, one of red, blue; got SyncDirection")],
    ),
    (
        "enum bounded message",
        {**SAMPLE, "color": "x" * 10_000},
        [("color", "invalid_enum", f"must be one of red, blue, got {safe_repr('x' * 10_000)}")],
    ),
    ("json scalar", {**SAMPLE, "extra": "text"}, []),
    ("json tuple", {**SAMPLE, "extra": (1, 2)}, []),
    (
        "json nan",
        {**SAMPLE, "extra": [1, float("nan")]},
        [("extra[1]", "invalid_number", "must be finite, not NaN or inf")],
    ),
    (
        "json key type",
        {**SAMPLE, "extra": {1: "x"}},
        [("extra", "invalid_type", "keys must be strings, not int")],
    ),
    (
        "json key surrogate",
        {**SAMPLE, "extra": {"k\udc00": 1}},
        [
            (
                "extra.k\\udc00",
                "invalid_characters",
                "key must not contain a lone surrogate (UTF-8 cannot encode it)",
            )
        ],
    ),
    (
        "json string surrogate",
        {**SAMPLE, "extra": {"k": ["\ud800"]}},
        [
            (
                "extra.k[0]",
                "invalid_characters",
                "must not contain a lone surrogate (UTF-8 cannot encode it)",
            )
        ],
    ),
    (
        "json not json",
        {**SAMPLE, "extra": {"k": {1, 2}}},
        [
            (
                "extra.k",
                "invalid_type",
                "must be a JSON value (an object, an array, a string, a number, true, false or "
                "null), not set",
            )
        ],
    ),
    ("cron tab", {**SAMPLE, "cron": TAB_CRON}, []),
    (
        "cron invalid",
        {**SAMPLE, "cron": "0 0 12 * * ?"},
        [("cron", "invalid_cron", cron_problem("0 0 12 * * ?") or "")],
    ),
    ("cron blank", {**SAMPLE, "cron": " "}, [("cron", "blank", "must not be blank")]),
    (
        "required when true",
        {**SAMPLE, "flag": True},
        [("cron", "required", "is required when flag")],
    ),
    (
        "required when enum",
        {**SAMPLE, "color": "red"},
        [("note", "required", "is required when color is red")],
    ),
    # a field given but invalid is not also missing; an invalid other field triggers nothing
    (
        "required when, invalid field",
        {**SAMPLE, "flag": True, "cron": 5},
        [
            ("cron", "invalid_type", "must be a string, not int"),
        ],
    ),
    (
        "required when, invalid other",
        {**SAMPLE, "flag": "yes"},
        [
            ("flag", "invalid_type", "must be a boolean, not str"),
        ],
    ),
    (
        "check",
        {**SAMPLE, "color": "blue", "extra": 1},
        [("extra", "invalid_extra", "must be a list when color is blue")],
    ),
    # a check runs only when the fields it uses are valid
    (
        "check, invalid use",
        {**SAMPLE, "color": "BLUE", "extra": 1},
        [
            ("color", "invalid_enum", "must be one of red, blue, got 'BLUE'"),
        ],
    ),
    (
        "unknown keys first, bounded",
        {**SAMPLE, "zzz": 1, 7: 2, "k" * 100: 3, "level": None},
        [
            ("zzz", "unknown_field", ""),
            ("7", "unknown_field", ""),
            (safe_repr("k" * 100, limit=80), "unknown_field", ""),
            ("level", "required", "is required"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in SAMPLE_CASES], ids=[c[0] for c in SAMPLE_CASES]
)
def test_each_field_kind(data: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    if not expected:
        validator_for(Sample)(data)
        return
    found = issues_of(Sample, data)
    known = "color, count, cron, extra, flag, level, note, text"
    unknown = f"is not a field of Sample (known fields: {known})"
    assert found == [(p, c, m or unknown) for p, c, m in expected]


@pytest.mark.parametrize("data", [None, [], "x", 1, ("text", "t"), {"text", "t"}])
def test_not_a_mapping(data: object) -> None:
    kind = "null" if data is None else type(data).__name__
    assert issues_of(Sample, data) == [
        ("", "not_a_mapping", f"input must be a mapping, not {kind}")
    ]


def test_any_mapping_is_input() -> None:
    class Wire(Mapping[str, object]):
        def __init__(self, data: dict[str, object]) -> None:
            self.data = data

        def __getitem__(self, key: str) -> object:
            return self.data[key]

        def __iter__(self) -> Any:
            return iter(self.data)

        def __len__(self) -> int:
            return len(self.data)

    assert validator_for(Sample)(Wire({"text": "t", "level": 3})).level == 3


def test_validators_are_compiled_once_per_model() -> None:
    assert validator_for(Sample) is validator_for(Sample)
    assert fields_for(Sample) is fields_for(Sample)
    assert fields_for(CreateSyncConfigInput) is create_input_fields


# -- what a model may declare ---------------------------------------------------------------------


@frozen
class Dated:
    when: Any = attrs.field(metadata={"non_empty": True, "json": True, "secret": True, "min": 1})


@frozen
class Typo:
    name: str = attrs.field(metadata={"nonempty": True})


@frozen
class Nested:
    items: list[str]


@frozen
class SecretText:
    token: str = attrs.field(metadata={"secret": True})


@frozen
class BadCheck:
    name: str
    checks: ClassVar[tuple[ModelCheck, ...]] = (RequiredWhen("name", "nope", (True,)),)


@frozen
class BadValues:
    name: str | None = None
    flag: bool = False
    checks: ClassVar[tuple[ModelCheck, ...]] = (RequiredWhen("name", "flag", ("yes",)),)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (Dated, "Dated.when: min and max are integer bounds of an int field"),
        (Typo, "Typo.name: unknown validation facts ['nonempty']; see FACTS"),
        (Nested, "Nested.items: no validation for list[str]"),
        (SecretText, "SecretText.token: secret is a fact of a JSON field"),
        (BadCheck, "BadCheck.checks[0]: no field 'nope'"),
        (BadValues, "BadValues.checks[0]: values are booleans or members"),
        (dict, "<class 'dict'> is not a model (an attrs class)"),
    ],
)
def test_what_cannot_be_compiled_is_named(model: type, message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        validator_for(model)


# -- each input model ---------------------------------------------------------------------------

MAPPING = {
    "syncConfigId": "sync_1",
    "sourceField": "email",
    "targetField": "Email",
    "mappingType": "DIRECT",
}
CONNECTION = {"integrationId": "int-1", "name": "Prod", "authType": "oauth2"}

VALID = [
    (
        CreateSyncConfigInput,
        VALID_INPUT,
        CreateSyncConfigInput(
            "int-1", "conn-1", "Contacts Sync", SyncDirection.OUTBOUND, "contacts", "contacts"
        ),
    ),
    (
        CreateIntegrationInput,
        {"name": "Slack", "slug": "slack", "provider": "slack", "config": {"a": [1]}},
        CreateIntegrationInput(name="Slack", slug="slack", provider="slack", config={"a": [1]}),
    ),
    (
        CreateConnectionInput,
        {
            **CONNECTION,
            "credentials": {"clientId": "x"},
            "transport": "rest",
            "authMethod": "basic",
        },
        CreateConnectionInput(
            integration_id="int-1",
            name="Prod",
            auth_type="oauth2",
            credentials={"clientId": "x"},
            transport=TransportType.REST,
            auth_method=AuthType.BASIC,
        ),
    ),
    (
        AddFieldMappingInput,
        MAPPING,
        AddFieldMappingInput(
            sync_config_id="sync_1",
            source_field="email",
            target_field="Email",
            mapping_type=MappingType.DIRECT,
        ),
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "TRANSFORM", "transformExpression": 'default:"n/a"'},
        AddFieldMappingInput(
            sync_config_id="sync_1",
            source_field="email",
            target_field="Email",
            mapping_type=MappingType.TRANSFORM,
            transform_expression='default:"n/a"',
        ),
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "COMPUTED", "transformExpression": "${first} ${last}"},
        AddFieldMappingInput(
            sync_config_id="sync_1",
            source_field="email",
            target_field="Email",
            mapping_type=MappingType.COMPUTED,
            transform_expression="${first} ${last}",
        ),
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "CONSTANT", "constantValue": 0, "isRequired": True},
        AddFieldMappingInput(
            sync_config_id="sync_1",
            source_field="email",
            target_field="Email",
            mapping_type=MappingType.CONSTANT,
            constant_value=0,
            is_required=True,
        ),
    ),
    (
        TriggerSyncInput,
        {"syncConfigId": "sync_1", "direction": "INBOUND", "fullSync": True},
        TriggerSyncInput(sync_config_id="sync_1", direction=SyncDirection.INBOUND, full_sync=True),
    ),
    (
        ListSyncRunsInput,
        {"syncConfigId": "sync_1", "status": "FAILED", "limit": 100, "offset": 0},
        ListSyncRunsInput(sync_config_id="sync_1", status=SyncStatus.FAILED, limit=100),
    ),
]


@pytest.mark.parametrize(
    ("model", "data", "expected"), VALID, ids=lambda x: getattr(x, "__name__", "")
)
def test_every_input_model_from_dict(model: Any, data: dict[str, Any], expected: Any) -> None:
    assert model.from_dict(data) == expected
    assert validator_for(model)(data) == expected
    assert fields_for(model)(data) == attrs.astuple(expected, recurse=False)
    # the wire dict of a valid input is itself a valid input
    assert model.from_dict(expected.to_dict()) == expected


INVALID: list[tuple[type, dict[str, Any], list[tuple[str, str]]]] = [
    (
        CreateIntegrationInput,
        {"slug": "", "config": float("inf")},
        [
            ("name", "required"),
            ("slug", "blank"),
            ("provider", "required"),
            ("config", "invalid_number"),
        ],
    ),
    (
        CreateIntegrationInput,
        {"name": "S", "slug": "s", "provider": "p", "category": "x"},
        [
            ("category", "unknown_field"),
        ],
    ),
    (
        CreateConnectionInput,
        {**CONNECTION, "transport": "REST", "authMethod": "OAUTH2"},
        [
            ("transport", "invalid_enum"),
            ("authMethod", "invalid_enum"),
        ],
    ),
    (
        CreateConnectionInput,
        {**CONNECTION, "credentials": {"k": "\udfff"}},
        [
            ("credentials.k", "invalid_characters"),
        ],
    ),
    (AddFieldMappingInput, {**MAPPING, "mappingType": "direct"}, [("mappingType", "invalid_enum")]),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "TRANSFORM"},
        [
            ("transformExpression", "required"),
        ],
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "COMPUTED"},
        [
            ("transformExpression", "required"),
        ],
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "CONSTANT", "constantValue": None},
        [
            ("constantValue", "required"),
        ],
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "TRANSFORM", "transformExpression": "upper"},
        [
            ("transformExpression", "invalid_expression"),
        ],
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "TRANSFORM", "transformExpression": ""},
        [
            ("transformExpression", "invalid_expression"),
        ],
    ),
    # any expression given is checked, never evaluated: a DIRECT mapping's too
    (
        AddFieldMappingInput,
        {**MAPPING, "transformExpression": "__import__('os')"},
        [
            ("transformExpression", "invalid_expression"),
        ],
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "COMPUTED", "transformExpression": "${a"},
        [
            ("transformExpression", "invalid_expression"),
        ],
    ),
    # an invalid mapping type checks no expression; an expression of the wrong type is only that
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": 1, "transformExpression": "nope"},
        [
            ("mappingType", "invalid_type"),
        ],
    ),
    (
        AddFieldMappingInput,
        {**MAPPING, "mappingType": "TRANSFORM", "transformExpression": 1},
        [
            ("transformExpression", "invalid_type"),
        ],
    ),
    (
        TriggerSyncInput,
        {"syncConfigId": "s", "direction": "inbound", "fullSync": "no"},
        [
            ("direction", "invalid_enum"),
            ("fullSync", "invalid_type"),
        ],
    ),
    (
        ListSyncRunsInput,
        {"syncConfigId": "s", "limit": 0, "offset": -1, "status": "done"},
        [
            ("status", "invalid_enum"),
            ("limit", "out_of_range"),
            ("offset", "out_of_range"),
        ],
    ),
    (
        ListSyncRunsInput,
        {"syncConfigId": "s", "limit": False, "offset": 1.0},
        [
            ("limit", "invalid_type"),
            ("offset", "invalid_type"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("model", "data", "expected"), INVALID, ids=lambda x: getattr(x, "__name__", "")
)
def test_every_input_model_refuses(
    model: Any, data: object, expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.from_dict(data)
    assert [(i.path, i.code) for i in caught.value.issues] == expected


def test_mapping_messages() -> None:
    assert issues_of(AddFieldMappingInput, {**MAPPING, "mappingType": "TRANSFORM"}) == [
        ("transformExpression", "required", "is required when mappingType is TRANSFORM")
    ]
    assert issues_of(AddFieldMappingInput, {**MAPPING, "mappingType": "CONSTANT"}) == [
        ("constantValue", "required", "is required when mappingType is CONSTANT")
    ]
    (issue,) = issues_of(AddFieldMappingInput, {**MAPPING, "transformExpression": "upper"})
    assert issue[2].startswith("unknown transform 'upper' (did you mean 'uppercase'?)")


def test_secret_credentials_never_in_a_message() -> None:
    secret = "hunter2-\ud800"
    with pytest.raises(ValidationError) as caught:
        CreateConnectionInput.from_dict(
            {**CONNECTION, "credentials": {"password": secret, "n": [secret]}}
        )
    assert "hunter2" not in str(caught.value)
    assert [i.path for i in caught.value.issues] == ["credentials.password", "credentials.n[0]"]


def test_json_issues_depth() -> None:
    deep: Any = "leaf"
    for _ in range(40):
        deep = [deep]
    assert [(i.path, i.code) for i in json_issues(deep, "x")] == [("x" + "[0]" * 32, "too_deep")]
    assert json_issues(10**4001, "x")[0].code == "invalid_number"


def test_linter_checks_a_user_model_without_from_dict() -> None:
    contract = attrs.evolve(
        CREATE_SYNC_CONFIG,
        io=attrs.evolve(CREATE_SYNC_CONFIG.io, input=Sample),
        acceptance=attrs.evolve(
            CREATE_SYNC_CONFIG.acceptance,
            scenarios=[],
            examples=[Example("bad", {"text": " ", "count": 0}, {})],
        ),
    )
    assert [str(f) for f in lint(contract)] == [
        "acceptance.examples[bad].input.text: must not be blank [blank]",
        "acceptance.examples[bad].input.count: must be at least 1 [out_of_range]",
        "acceptance.examples[bad].input.level: is required [required]",
    ]
    contract = attrs.evolve(contract, io=attrs.evolve(contract.io, input=Nested))
    (finding,) = lint(contract)
    assert finding.message.startswith("cannot be checked: Nested.items: no validation for")


# -- the hand-written create validator this replaced: the oracle of the properties --------------

_KNOWN = frozenset(
    (
        "integrationId",
        "connectionId",
        "name",
        "direction",
        "sourceObject",
        "targetObject",
        "scheduleEnabled",
        "scheduleCron",
    )
)
_UNKNOWN_FIELD = (
    f"is not a field of CreateSyncConfigInput (known fields: {', '.join(sorted(_KNOWN))})"
)
_DIRECTIONS = {d.value: d for d in SyncDirection}
_DIRECTION_LIST = ", ".join(_DIRECTIONS)
_BAD_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_CRON_CHARACTER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _key_path(key: object) -> str:
    if type(key) is str and key.isprintable() and len(key) <= 80:
        return key
    return safe_repr(key, limit=80)


def _character_problem(found: re.Match[str]) -> str:
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"must be encodable as UTF-8: lone surrogate U+{code:04X} at index {found.start()}"
    return f"must not contain control characters: U+{code:04X} at index {found.start()}"


def _string(
    path: str, value: object, issues: list[ValidationIssue], bad: re.Pattern[str]
) -> str | None:
    if type(value) is not str:
        issues.append(
            ValidationIssue(path, "invalid_type", f"must be a string, not {_type_name(value)}")
        )
        return None
    found = len(issues)
    blank = is_blank(value)
    if blank:
        issues.append(ValidationIssue(path, "blank", "must not be blank"))
    if len(value) > MAX_STRING_LENGTH:
        issues.append(
            ValidationIssue(
                path,
                "too_long",
                f"must be at most {MAX_STRING_LENGTH} characters, got {len(value)}",
            )
        )
    # the one rule changed since: a blank value is only blank, not also its "\t" or "\n"
    character = None if blank else bad.search(value)
    if character is not None:
        issues.append(ValidationIssue(path, "invalid_characters", _character_problem(character)))
    return value if len(issues) == found else None


def _text(
    path: str, value: object, issues: list[ValidationIssue], bad: re.Pattern[str] = _BAD_CHARACTER
) -> str | None:
    if (
        type(value) is str
        and value
        and len(value) <= MAX_STRING_LENGTH
        and value.isprintable()
        and not value.isspace()
    ):
        return value
    if value is None:
        issues.append(ValidationIssue(path, "required", "is required"))
        return None
    return _string(path, value, issues, bad)


def _direction_problem(value: object, issues: list[ValidationIssue]) -> None:
    if value is None:
        issues.append(ValidationIssue("direction", "required", "is required"))
    elif type(value) is str:
        issues.append(
            ValidationIssue(
                "direction",
                "invalid_enum",
                f"must be one of {_DIRECTION_LIST}, got {safe_repr(value)}",
            )
        )
    else:
        issues.append(
            ValidationIssue(
                "direction",
                "invalid_type",
                f"must be a string, one of {_DIRECTION_LIST}; got {_type_name(value)}",
            )
        )


def old_create_input_fields(data: object) -> tuple[Any, ...]:
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ValidationError(
            [
                ValidationIssue(
                    "", "not_a_mapping", f"input must be a mapping, not {_type_name(data)}"
                )
            ]
        )
    issues: list[ValidationIssue] = []
    for key in () if _KNOWN.issuperset(data) else data:
        if key not in _KNOWN:
            issues.append(ValidationIssue(_key_path(key), "unknown_field", _UNKNOWN_FIELD))
    get = data.get
    integration_id = _text("integrationId", get("integrationId"), issues)
    connection_id = _text("connectionId", get("connectionId"), issues)
    name = _text("name", get("name"), issues)
    direction = get("direction")
    if type(direction) is str and direction in _DIRECTIONS:
        direction = _DIRECTIONS[direction]
    elif not isinstance(direction, SyncDirection):
        _direction_problem(direction, issues)
    source_object = _text("sourceObject", get("sourceObject"), issues)
    target_object = _text("targetObject", get("targetObject"), issues)
    enabled = get("scheduleEnabled")
    if enabled is None:
        enabled = False
    elif type(enabled) is not bool:
        issues.append(
            ValidationIssue(
                "scheduleEnabled", "invalid_type", f"must be a boolean, not {_type_name(enabled)}"
            )
        )
    cron = get("scheduleCron")
    if cron is None:
        if enabled is True:
            issues.append(
                ValidationIssue("scheduleCron", "required", "is required when scheduleEnabled")
            )
    elif _text("scheduleCron", cron, issues, _BAD_CRON_CHARACTER) is not None:
        problem = cron_problem(cron)
        if problem is not None:
            issues.append(ValidationIssue("scheduleCron", "invalid_cron", problem))
    if issues:
        raise ValidationError(issues)
    return (
        integration_id,
        connection_id,
        name,
        direction,
        source_object,
        target_object,
        enabled,
        cron,
    )


# -- properties ---------------------------------------------------------------------------------

# any code point, lone surrogates included
# the values at each rule's edges, drawn as often as everything else together
edges = st.sampled_from(
    [
        "INBOUND",
        "OUTBOUND",
        "outbound",
        "red",
        "TRANSFORM",
        "COMPUTED",
        "CONSTANT",
        "uppercase",
        "${a.b}",
        "@daily",
        "*/5 * * * *",
        "*/5\t* * * *",
        "0 0 * * * *",
        "*/100 * * * *",
        "",
        " ",
        "\t",
        " a ",
        "\u200b",
        "\u200ba",
        "\x00",
        "a\x85",
        "a\ud800",
        "x" * 1024,
        "x" * 1025,
        True,
        False,
        0,
        -1,
        101,
        1.0,
        SyncDirection.INBOUND,
        MappingType.CONSTANT,
        10**4001,
        b"x",
        1j,
        float("nan"),
    ]
)
# any code point, lone surrogates included
texts = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts | edges,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(texts | st.integers(), inner, max_size=3)
    ),
    max_leaves=6,
)
values = st.one_of(edges, json_like)


def wire_inputs(model: type, valid: Mapping[str, Any]) -> st.SearchStrategy[object]:
    wire = [camel_case(name) for name in attrs.fields_dict(model)]
    keys = st.one_of(st.sampled_from([*wire, "sourceConnectionId", "status"]), texts)
    return st.one_of(
        st.dictionaries(keys, values, max_size=4).map(lambda d: {**valid, **d}),
        st.dictionaries(keys, values, max_size=9),
        json_like,
    )


def outcome(validate: Any, data: object) -> tuple[str, object]:
    try:
        return "ok", validate(data)
    except ValidationError as err:
        return "refused", err.issues


@settings(max_examples=1500, deadline=None)
@given(wire_inputs(CreateSyncConfigInput, VALID_INPUT))
def test_create_accepts_exactly_what_the_hand_written_validator_did(data: object) -> None:
    assert outcome(create_input_fields, data) == outcome(old_create_input_fields, data)


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        *(
            wire_inputs(model, valid)
            for model, valid in (
                (CreateIntegrationInput, {"name": "S", "slug": "s", "provider": "p"}),
                (CreateConnectionInput, CONNECTION),
                (AddFieldMappingInput, MAPPING),
                (TriggerSyncInput, {"syncConfigId": "s"}),
                (ListSyncRunsInput, {"syncConfigId": "s"}),
                (Sample, SAMPLE),
            )
        )
    ),
    st.sampled_from([*INPUT_MODELS, Sample]),
)
def test_compiled_validators_raise_only_validation_errors(data: object, model: type) -> None:
    kind, result = outcome(validator_for(model), data)
    if kind == "ok":
        assert type(result) is model
    else:
        assert result and all(type(i) is ValidationIssue for i in result)  # type: ignore[attr-defined]
