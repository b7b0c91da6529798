"""Text that no backend can store, or that only looks like text, is refused before storage.

Lone surrogates (not encodable as UTF-8), control characters and invisible-only strings, in the
input, the idempotency key and the actor's ids, on every backend; and error messages that stay
bounded and encodable whatever the caller passed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync_sdk import (
    Actor,
    AuthenticationRequired,
    CreateSyncConfigInput,
    NotFound,
    SyncHub,
    ValidationError,
)
from sync_sdk.errors import ValidationIssue, safe_repr
from sync_sdk.events import EventEnvelope
from sync_sdk.models import camel_case
from sync_sdk.validation import cron_problem, is_blank

from .conftest import USER, VALID_INPUT, counts

STRING_FIELDS = [
    "integrationId",
    "connectionId",
    "name",
    "sourceObject",
    "targetObject",
    "scheduleCron",
]
SURROGATE = "\ud800"


def snake_case(name: str) -> str:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
    assert camel_case(snake) == name
    return snake


def create(hub: SyncHub, data: dict[str, Any], form: str, **options: Any) -> Any:
    """Create through the mapping form or the snake_case keyword form."""
    if form == "mapping":
        return hub.create_sync_config(data, **options)
    return hub.create_sync_config(**{snake_case(k): v for k, v in data.items()}, **options)


def refused(hub: SyncHub, call: Any) -> ValidationError:
    """The ValidationError ``call`` raises, after checking that it wrote nothing."""
    before = counts(hub)
    with pytest.raises(ValidationError) as info:
        call()
    assert counts(hub) == before
    # whatever the input held, the error is printable and serialisable
    str(info.value).encode("utf-8")
    json.dumps(info.value.to_problem()).encode("utf-8")
    return info.value


def only_issue(err: ValidationError) -> tuple[str, str]:
    (issue,) = err.issues
    assert issue.message
    return issue.path, issue.code


# -- 1. text that UTF-8 cannot encode, on every backend ------------------------------------


@pytest.mark.parametrize("form", ["mapping", "keywords"])
@pytest.mark.parametrize("field", STRING_FIELDS)
def test_a_lone_surrogate_in_any_field_is_refused_on_every_backend(
    hub: SyncHub, events: list[EventEnvelope], field: str, form: str
) -> None:
    hub.create_sync_config(VALID_INPUT, actor=USER)  # something that must stay as it is
    data = {**VALID_INPUT, field: f"a{SURROGATE}b"}
    err = refused(hub, lambda: create(hub, data, form, actor=USER))
    assert only_issue(err) == (field, "invalid_characters")
    assert "U+D800" in err.issues[0].message
    assert len(events) == 1  # only the first create's


@pytest.mark.parametrize("form", ["mapping", "keywords"])
def test_a_lone_surrogate_in_the_idempotency_key_is_refused(hub: SyncHub, form: str) -> None:
    err = refused(
        hub, lambda: create(hub, VALID_INPUT, form, actor=USER, idempotency_key=SURROGATE)
    )
    assert only_issue(err) == ("idempotencyKey", "invalid_characters")


@pytest.mark.parametrize(
    ("actor", "path"),
    [
        (Actor(id=f"user{SURROGATE}", org_id="org-1"), "actor.id"),
        (Actor(id="user-1", org_id=f"{SURROGATE}org"), "actor.orgId"),
    ],
)
@pytest.mark.parametrize("form", ["mapping", "keywords"])
def test_a_lone_surrogate_in_the_actor_ids_is_refused(
    hub: SyncHub, actor: Actor, path: str, form: str
) -> None:
    err = refused(hub, lambda: create(hub, VALID_INPUT, form, actor=actor))
    assert only_issue(err) == (path, "invalid_characters")


def test_an_actor_with_unstorable_ids_cannot_read_either(hub: SyncHub) -> None:
    actor = Actor(id=SURROGATE, org_id=f"org\x00{SURROGATE}")
    for read in (hub.list_sync_configs, hub.audit_log):
        err = refused(hub, lambda read=read: read(actor=actor))
        assert {(i.path, i.code) for i in err.issues} == {
            ("actor.id", "invalid_characters"),
            ("actor.orgId", "invalid_characters"),
        }
    with pytest.raises(ValidationError):
        hub.get_sync_config("sync_1", actor=actor)


@pytest.mark.parametrize("field", STRING_FIELDS)
def test_a_lone_surrogate_in_a_batch_names_the_item(hub: SyncHub, field: str) -> None:
    items = [dict(VALID_INPUT) for _ in range(5)]
    items[3][field] = SURROGATE
    err = refused(hub, lambda: hub.create_sync_configs(items, actor=USER))
    assert only_issue(err) == (f"[3].{field}", "invalid_characters")


@pytest.mark.parametrize("config_id", [SURROGATE, "sync_\x00"])
def test_get_of_an_id_no_backend_can_store_is_not_found(hub: SyncHub, config_id: str) -> None:
    with pytest.raises(NotFound) as info:
        hub.get_sync_config(config_id, actor=USER)
    str(info.value).encode("utf-8")
    json.dumps(info.value.to_problem()).encode("utf-8")


# -- 2. invisible and control characters ----------------------------------------------------


def issues_of(data: dict[str, Any]) -> set[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        CreateSyncConfigInput.from_dict(data)
    return {(i.path, i.code) for i in info.value.issues}


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200e\u202e", "\ufeff", " \u2060\u00ad ", "\u200b\u3000"]
)
@pytest.mark.parametrize("field", STRING_FIELDS)
def test_invisible_only_strings_are_blank(field: str, invisible: str) -> None:
    assert issues_of({**VALID_INPUT, field: invisible}) == {(field, "blank")}


def test_visible_text_around_format_characters_is_kept() -> None:
    # a zero-width joiner inside an emoji sequence, bidi marks around visible text
    name = "Team \U0001f468\u200d\U0001f4bb \u200fsync\u200e"
    assert CreateSyncConfigInput.from_dict({**VALID_INPUT, "name": name}).name == name
    assert not is_blank("a\u200b") and is_blank("") and is_blank("\u200b \t")


@pytest.mark.parametrize(
    "control", ["\x01", "\x1b", "\x7f", "\x80", "\x85", "\x9f", "\n", "\r", "\t", "\x00"]
)
@pytest.mark.parametrize("field", STRING_FIELDS)
def test_control_characters_are_invalid(field: str, control: str) -> None:
    data = {
        **VALID_INPUT,
        field: f"0 0 * *{control}*" if field == "scheduleCron" else f"a{control}b",
    }
    if field == "scheduleCron" and control == "\t":
        assert CreateSyncConfigInput.from_dict(data).schedule_cron == "0 0 * *\t*"
    else:
        assert issues_of(data) == {(field, "invalid_characters")}


def test_the_idempotency_key_follows_the_same_rules(hub: SyncHub) -> None:
    for key, code in [("\u200b\ufeff", "blank"), ("k\x1b[0m", "invalid_characters")]:
        err = refused(
            hub,
            lambda key=key: hub.create_sync_config(VALID_INPUT, actor=USER, idempotency_key=key),
        )
        assert only_issue(err) == ("idempotencyKey", code)


def test_actor_ids_follow_the_same_rules(hub: SyncHub) -> None:
    err = refused(
        hub,
        lambda: hub.create_sync_config(VALID_INPUT, actor=Actor(id="u\x85", org_id="o\tx")),
    )
    assert {(i.path, i.code) for i in err.issues} == {
        ("actor.id", "invalid_characters"),
        ("actor.orgId", "invalid_characters"),
    }
    # an invisible id is no identity, like a blank one
    for actor in (Actor(id="\u200b", org_id="org-1"), Actor(id="user-1", org_id="\u200e\ufeff")):
        assert not actor.is_authenticated
        with pytest.raises(AuthenticationRequired):
            hub.create_sync_config(VALID_INPUT, actor=actor)
    assert counts(hub) == (0, 0, 0)


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("0\u30000 * * *", "invalid_cron"),  # ideographic space
        ("0\xa00 * * *", "invalid_cron"),  # no-break space
        ("0 0 * *\u2003*", "invalid_cron"),  # em space
        ("0\n0 * * *", "invalid_characters"),  # a control character
        ("0 0\r\n* * *", "invalid_characters"),
    ],
)
def test_cron_fields_are_separated_by_ascii_spaces_or_tabs_only(expression: str, code: str) -> None:
    assert issues_of({**VALID_INPUT, "scheduleCron": expression}) == {("scheduleCron", code)}
    assert cron_problem(expression) is not None  # on its own too


@pytest.mark.parametrize(
    "expression", ["0\t0 * * *", "0 \t 0\t*  *\t*", "\t@daily ", "0 0 * * 1-5\t"]
)
def test_spaces_and_tabs_separate_cron_fields(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "field"),
    [
        ("*/100 * * * *", "minute"),
        ("0-59/61 * * * *", "minute"),
        ("*/0 * * * *", "minute"),
        ("0 */25 * * *", "hour"),
        ("0 0 */32 * *", "day-of-month"),
        ("0 0 1-31/32 * *", "day-of-month"),
        ("0 0 * */13 *", "month"),
        ("0 0 * * */8", "day-of-week"),
        ("0 0 * * 1,2,0-6/099", "day-of-week"),
        pytest.param(f"*/{'9' * 5000} * * * *", "minute", id="5000-digit-step"),
    ],
)
def test_out_of_range_steps_are_invalid(expression: str, field: str) -> None:
    problem = cron_problem(expression)
    assert problem is not None
    assert f"in the {field} field" in problem
    if len(expression) <= 1024:
        assert issues_of({**VALID_INPUT, "scheduleCron": expression}) == {
            ("scheduleCron", "invalid_cron")
        }


@pytest.mark.parametrize(
    "expression",
    [
        "*/60 * * * *",
        "0-59/60 * * * *",
        "0 */24 * * *",
        "0 0 */31 * *",
        "0 0 * */12 *",
        "0 0 * * */7",
        "*/01 * * * *",
        "0 0 * JAN-DEC/3 *",
    ],
)
def test_steps_up_to_the_field_size_are_valid(expression: str) -> None:
    assert cron_problem(expression) is None


# -- 18. messages show a bounded, safe repr -------------------------------------------------


def test_get_with_a_huge_int_id_is_not_found_with_a_short_message(hub: SyncHub) -> None:
    with pytest.raises(NotFound) as info:
        hub.get_sync_config(10**5000, actor=USER)  # type: ignore[arg-type]
    assert str(info.value) == "sync config <int of 5001 digits> not found"
    assert info.value.to_problem()["detail"] == str(info.value)


@pytest.mark.parametrize(
    ("key", "path"),
    [
        (10**5000, "<int of 5001 digits>"),
        (SURROGATE, "'\\ud800'"),
        ("a\x1bb", "'a\\x1bb'"),
        ("k" * 100_000, "'" + "k" * 76 + "..."),
        (("tuple", 1), "('tuple', 1)"),
    ],
    ids=["huge-int", "surrogate", "control", "long", "tuple"],
)
def test_unknown_keys_are_shown_bounded_and_encodable(key: object, path: str) -> None:
    with pytest.raises(ValidationError) as info:
        CreateSyncConfigInput.from_dict({**VALID_INPUT, key: 1})
    assert only_issue(info.value) == (path, "unknown_field")
    assert len(str(info.value)) < 500
    json.dumps(info.value.to_problem()).encode("utf-8")


def test_an_unknown_keyword_holding_a_surrogate_is_reported(hub: SyncHub) -> None:
    err = refused(hub, lambda: hub.create_sync_config(**VALID_INPUT, actor=USER, **{SURROGATE: 1}))
    assert only_issue(err) == ("'\\ud800'", "unknown_field")


def test_a_long_direction_is_shown_bounded() -> None:
    with pytest.raises(ValidationError) as info:
        CreateSyncConfigInput.from_dict({**VALID_INPUT, "direction": "UP" * 500_000 + SURROGATE})
    assert len(str(info.value)) < 500
    str(info.value).encode("utf-8")


def test_safe_repr_never_raises_and_stays_bounded() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    class Surrogates:
        def __repr__(self) -> str:
            return SURROGATE * 1000

    assert safe_repr(Broken()) == "<Broken object>"
    shown = safe_repr(Surrogates(), limit=40)
    assert len(shown) == 40 and shown.encode("utf-8")
    assert safe_repr(-(10**5000)) == "<int of 5001 digits>"
    assert safe_repr(10**50) == repr(10**50)
    assert safe_repr("sync_0123") == "'sync_0123'"


# -- 13. a capped message for a huge batch ----------------------------------------------------


def test_the_message_of_a_huge_batch_is_capped_and_the_issues_are_all_kept(
    hub: SyncHub,
) -> None:
    items = [{**VALID_INPUT, "name": ""} for _ in range(10_000)]
    err = refused(hub, lambda: hub.create_sync_configs(items, actor=USER))
    assert len(err.issues) == 10_000
    assert len(err.to_problem()["issues"]) == 10_000
    message = str(err)
    assert len(message) < 2_000
    assert message.startswith("10000 validation issue(s): [0].name: must not be blank [blank]")
    assert "[19].name" in message and "[20].name" not in message
    assert message.endswith("... and 9980 more (all of them in .issues)")
    assert err.to_problem()["detail"] == message
    assert repr(err) == f"ValidationError({message!r})"  # a traceback or logger shows no more


def test_a_short_error_message_lists_every_issue() -> None:
    issues = [ValidationIssue(f"f{n}", "blank", "must not be blank") for n in range(20)]
    message = str(ValidationError(issues))
    assert "f19: must not be blank" in message and "more" not in message
