"""One test per validation rule of CreateSyncConfigInput."""

from typing import Any

import pytest

from sync_sdk import CreateSyncConfigInput, SyncDirection, ValidationError
from sync_sdk.validation import cron_problem

from .conftest import VALID_INPUT


def issues_of(data: object) -> set[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        CreateSyncConfigInput.from_dict(data)
    for issue in info.value.issues:
        assert issue.message  # every issue says why
    return {(i.path, i.code) for i in info.value.issues}


def with_(**changes: Any) -> dict[str, Any]:
    data = dict(VALID_INPUT)
    data.update(changes)
    return data


def test_valid_input_builds_the_model_with_defaults() -> None:
    value = CreateSyncConfigInput.from_dict(VALID_INPUT)
    assert value.integration_id == "int-1"
    assert value.direction is SyncDirection.OUTBOUND
    assert value.schedule_enabled is False
    assert value.schedule_cron is None
    assert value.to_dict() == {**VALID_INPUT, "scheduleEnabled": False, "scheduleCron": None}


@pytest.mark.parametrize("data", [None, [], "x", 1, ("a",), {"a"}])
def test_input_must_be_a_mapping(data: object) -> None:
    assert issues_of(data) == {("", "not_a_mapping")}


def test_unknown_keys_are_rejected_not_stripped() -> None:
    data = with_(sourceConnectionId="conn-1", targetConnectionId="conn-2")
    assert issues_of(data) == {
        ("sourceConnectionId", "unknown_field"),
        ("targetConnectionId", "unknown_field"),
    }


def test_non_string_keys_are_reported() -> None:
    assert ("1", "unknown_field") in issues_of(with_(**{}) | {1: "x"})


@pytest.mark.parametrize("field", list(VALID_INPUT))
def test_each_required_field(field: str) -> None:
    data = dict(VALID_INPUT)
    del data[field]
    assert issues_of(data) == {(field, "required")}


@pytest.mark.parametrize("field", list(VALID_INPUT))
def test_none_for_a_required_field_is_missing(field: str) -> None:
    assert issues_of(with_(**{field: None})) == {(field, "required")}


def test_all_problems_are_reported_at_once() -> None:
    found = issues_of({"name": " ", "direction": "outbound", "scheduleEnabled": "true", "x": 1})
    assert found == {
        ("integrationId", "required"),
        ("connectionId", "required"),
        ("sourceObject", "required"),
        ("targetObject", "required"),
        ("name", "blank"),
        ("direction", "invalid_enum"),
        ("scheduleEnabled", "invalid_type"),
        ("x", "unknown_field"),
    }


@pytest.mark.parametrize("value", [1, 1.5, True, b"int-1", ["int-1"], {"a": 1}])
def test_strings_are_not_coerced(value: object) -> None:
    assert issues_of(with_(integrationId=value)) == {("integrationId", "invalid_type")}


@pytest.mark.parametrize("value", ["true", 1, 0, "yes", "false"])
def test_booleans_are_not_coerced(value: object) -> None:
    assert issues_of(with_(scheduleEnabled=value)) == {("scheduleEnabled", "invalid_type")}


@pytest.mark.parametrize("value", ["outbound", "Outbound", "SIDEWAYS", "", " OUTBOUND"])
def test_direction_must_be_an_enum_value(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        CreateSyncConfigInput.from_dict(with_(direction=value))
    (issue,) = info.value.issues
    assert (issue.path, issue.code) == ("direction", "invalid_enum")
    assert "INBOUND, OUTBOUND, BIDIRECTIONAL" in issue.message


def test_direction_accepts_enum_members() -> None:
    value = CreateSyncConfigInput.from_dict(with_(direction=SyncDirection.BIDIRECTIONAL))
    assert value.direction is SyncDirection.BIDIRECTIONAL


def test_direction_of_wrong_type() -> None:
    assert issues_of(with_(direction=1)) == {("direction", "invalid_type")}


@pytest.mark.parametrize(
    "blank", ["", " ", "\t\n", "\u00a0\u2003", "\u200b", "\u200e\u202e", "\ufeff"]
)
@pytest.mark.parametrize(
    "field",
    ["integrationId", "connectionId", "name", "sourceObject", "targetObject", "scheduleCron"],
)
def test_blank_strings_are_rejected(field: str, blank: str) -> None:
    assert (field, "blank") in issues_of(with_(**{field: blank}))


@pytest.mark.parametrize("field", ["integrationId", "name", "scheduleCron"])
def test_strings_at_most_1024_characters(field: str) -> None:
    assert (field, "too_long") in issues_of(with_(**{field: "x" * 1025}))
    if field != "scheduleCron":
        assert CreateSyncConfigInput.from_dict(with_(**{field: "x" * 1024}))


@pytest.mark.parametrize("field", ["connectionId", "targetObject", "scheduleCron"])
def test_nul_characters_are_rejected(field: str) -> None:
    assert (field, "invalid_characters") in issues_of(with_(**{field: "a\x00b"}))


def test_schedule_enabled_requires_cron() -> None:
    assert issues_of(with_(scheduleEnabled=True)) == {("scheduleCron", "required")}
    value = CreateSyncConfigInput.from_dict(with_(scheduleEnabled=True, scheduleCron="0 * * * *"))
    assert value.schedule_enabled is True
    assert value.schedule_cron == "0 * * * *"


def test_none_for_optional_fields_means_absent() -> None:
    value = CreateSyncConfigInput.from_dict(with_(scheduleEnabled=None, scheduleCron=None))
    assert value.schedule_enabled is False
    assert value.schedule_cron is None


def test_cron_may_be_given_while_disabled_and_is_still_checked() -> None:
    assert CreateSyncConfigInput.from_dict(with_(scheduleCron="@daily")).schedule_cron == "@daily"
    assert issues_of(with_(scheduleCron="every day")) == {("scheduleCron", "invalid_cron")}


@pytest.mark.parametrize(
    "expression",
    [
        "* * * * *",
        "*/15 9-17 * * MON-FRI",
        "0 0 1 JAN,JUL *",
        "30 2 * * sun",
        "0 0 1-7 * 1",
        "@daily",
        "@hourly",
        "@weekly",
        "@monthly",
        "@yearly",
        "@annually",
        "@midnight",
        "5,10,15 */2 1 * *",
    ],
)
def test_standard_cron_accepted(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("0 0 12 * * ?", "6 fields"),
        ("0 0 12 * * MON 2027", "7 fields"),
        ("0 0 * * * *", "6 fields"),
        ("0 0 ? * MON", "Quartz"),
        ("0 0 L * *", "Quartz"),
        ("0 0 15W * *", "Quartz"),
        ("0 0 * * 5#2", "Quartz"),
        ("H * * * *", "Quartz"),
        ("60 * * * *", "not a valid"),
        ("* 24 * * *", "not a valid"),
        ("* * 32 * *", "not a valid"),
        ("* * * 13 *", "not a valid"),
        ("* * * * 8", "not a valid"),
        ("*/100 * * * *", "a step must be 1..60"),
        ("0-59/61 * * * *", "a step must be 1..60"),
        ("0 0 * * */8", "a step must be 1..7"),
        ("0\u30000 * * *", "ASCII"),
        ("0\xa00 * * *", "ASCII"),
        ("* * * *", "4 fields"),
        ("@reboot", "macro"),
        ("@every 5m", "macro"),
    ],
)
def test_non_standard_cron_rejected_with_reason(expression: str, says: str) -> None:
    problem = cron_problem(expression)
    assert problem is not None
    assert says in problem
    assert issues_of(with_(scheduleCron=expression)) == {("scheduleCron", "invalid_cron")}


def test_error_is_a_value_error_with_paths() -> None:
    with pytest.raises(ValueError, match="direction"):
        CreateSyncConfigInput.from_dict(with_(direction="up"))
