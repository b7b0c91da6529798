"""The step library: every phrase the generated features and sync_sdk's own features use.

Each step asserts what it says against the real SDK and its storage; none is a no-op. The
phrases (docs/harness.md lists them) are matched exactly, and a phrase with no definition fails
its scenario (pytest-bdd raises ``StepDefinitionNotFoundError``).

A project loads the library in its root ``conftest.py``; its own steps of the same phrase win
(pytest-bdd prefers the definition closest to the test), and its scenarios run on the storage
targets when tagged ``@sync_sdk`` (see :mod:`sync_sdk.testing.plugin`)::

    pytest_plugins = ["sync_sdk.testing.steps"]

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import attrs
from pytest_bdd import given, parsers, then, when
from pytest_bdd.parsers import StepParser

from sync_sdk import errors
from sync_sdk.contracts import registry
from sync_sdk.contracts.gherkin import (
    AUDIT_STEP,
    AUTH_STEPS,
    EVENT_STEP,
    OUTPUT_STEP,
    PIN_ID_STEP,
    event_phrase_name,
)
from sync_sdk.contracts.spec import EmittedEvent
from sync_sdk.events import EventEnvelope
from sync_sdk.models import SyncConfig
from sync_sdk.records import Actor, Page
from sync_sdk.signals import signal_for
from sync_sdk.testing.harness import (
    CONFIG_ID_FORMAT,
    EventRecorder,
    FailingSubscriber,
    PublishedEvent,
    SyncScenario,
    canonical,
    expect,
    wire,
)

__all__ = ["PROBLEMS"]

# Loaded by a project's root conftest.py (``pytest_plugins = ["sync_sdk.testing.steps"]``): the
# steps need the plugin's fixtures, there even when pytest's plugin autoload is disabled.
pytest_plugins = ["sync_sdk.testing.plugin"]

P = ParamSpec("P")
T = TypeVar("T")


def _parser(name: str | StepParser, step_type: str) -> StepParser:
    return parsers.string(name) if isinstance(name, str) else name


def _given(name: str | StepParser) -> Callable[[Callable[P, T]], Callable[P, T]]:
    return given(_parser(name, "given"))


def _when(name: str | StepParser) -> Callable[[Callable[P, T]], Callable[P, T]]:
    return when(_parser(name, "when"))


def _then(name: str | StepParser) -> Callable[[Callable[P, T]], Callable[P, T]]:
    return then(_parser(name, "then"))


def _mapping(docstring: str | None, datatable: list[list[str]] | None) -> object:
    """A step's JSON doc string, or its table: ``key | value`` rows (a ``key | value`` or
    ``field | value`` header is skipped), or a header row of keys over one row of values. A
    cell is read as JSON when it is JSON (``true``, ``42``, ``null``), else as a string."""
    if docstring is not None:
        try:
            return json.loads(docstring)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"the doc string is not JSON: {exc}\n{docstring}") from None
    expect(bool(datatable), "this step needs a JSON doc string or a table")
    assert datatable is not None
    if all(len(row) == 2 for row in datatable):
        has_header = datatable[0] in (["key", "value"], ["field", "value"])
        pairs = [(row[0], row[1]) for row in datatable[1 if has_header else 0 :]]
    else:
        expect(
            len(datatable) == 2 and len(datatable[0]) == len(datatable[1]),
            f"a table must be key | value rows, or keys over one row of values: {datatable}",
        )
        pairs = list(zip(datatable[0], datatable[1], strict=True))
    return {key: _json_or_text(cell) for key, cell in pairs}


def _camel(name: str) -> str:
    """``integration_id`` -> ``integrationId``: the wire name of a keyword, spelled here rather
    than taken from the SDK, whose renaming the steps check."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


#: The code and HTTP status of each error's problem details, as the README documents them.
PROBLEMS: dict[str, tuple[str, int]] = {
    "ValidationError": ("VALIDATION_FAILED", 422),
    "AuthenticationRequired": ("UNAUTHENTICATED", 401),
    "PermissionDenied": ("FORBIDDEN", 403),
    "NotFound": ("NOT_FOUND", 404),
    "Conflict": ("CONFLICT", 409),
    "EventNotDeclared": ("EVENT_NOT_DECLARED", 500),
    "StorageError": ("STORAGE_ERROR", 503),
}

#: The builtin exception each error also is, as the README and ``sync_sdk.errors`` document.
_BUILTINS: dict[str, type[Exception]] = {
    "ValidationError": ValueError,
    "PermissionDenied": PermissionError,
    "NotFound": LookupError,
    "EventNotDeclared": ValueError,
}

#: The keys of a problem-details body (RFC 9457's, with ContractSpec's ``code`` and ``issues``).
_PROBLEM_KEYS = frozenset(("type", "title", "status", "code", "detail", "issues"))

#: The wire keys of a created config, the contract's output model, and the values of those the
#: input of ``integration.syncConfig.create`` does not set.
_CONFIG_KEYS = frozenset(_camel(a.name) for a in attrs.fields(SyncConfig))
_CREATED_DEFAULTS: dict[str, object] = {
    "scheduleEnabled": False,
    "scheduleCron": None,
    "isActive": True,
    "lastSyncAt": None,
    "fieldMappings": [],
}

#: The keys of an event's wire form (``EventEnvelope.to_dict()``).
_EVENT_KEYS = frozenset(("id", "key", "version", "occurredAt", "payload", "actorId", "orgId"))


def _json_or_text(cell: str) -> object:
    try:
        return json.loads(cell)
    except json.JSONDecodeError:
        return cell


def _declared_event(name: str) -> EmittedEvent:
    """The event a step names (``SyncConfigCreated``), as the registered contracts declare it."""
    declared = {event_phrase_name(e.key): e for c in registry for e in c.side_effects.emits}
    expect(
        name in declared,
        f"no registered contract emits an event named {name!r}; known: {', '.join(declared)}",
    )
    return declared[name]


# -- Given --------------------------------------------------------------------------------------


@_given(AUTH_STEPS["user"])
def user_is_authenticated(sync_scenario: SyncScenario) -> None:
    actor = sync_scenario.actor
    expect(actor.is_authenticated, f"the acting user {actor!r} is not authenticated")
    sync_scenario.caller = actor


@_given(AUTH_STEPS["admin"])
def user_is_an_admin(sync_scenario: SyncScenario) -> None:
    user_is_authenticated(sync_scenario)
    user = sync_scenario.actor
    # (mypy cannot bind the type variable of frozenset, Actor.roles' attrs converter)
    sync_scenario.caller = Actor(user.id, user.org_id, roles=("admin",))  # type: ignore[arg-type]


@_given(AUTH_STEPS["anonymous"])
def user_is_not_authenticated(sync_scenario: SyncScenario) -> None:
    sync_scenario.caller = None


_CALLERS: dict[str, Callable[[Actor], Actor | None]] = {
    "no actor": lambda user: None,
    "the anonymous actor": lambda user: Actor.anonymous(),
    "a user without an org": lambda user: Actor(id=user.id, org_id=""),
    "a user with a blank id": lambda user: Actor(id="  ", org_id=user.org_id),
}


@_given(parsers.parse("the caller is {caller}"))
def the_caller_is(sync_scenario: SyncScenario, caller: str) -> None:
    expect(caller in _CALLERS, f"unknown caller {caller!r}; known: {', '.join(_CALLERS)}")
    sync_scenario.caller = _CALLERS[caller](sync_scenario.actor)
    if sync_scenario.caller is not None:
        expect(not sync_scenario.caller.is_authenticated, f"{caller} is authenticated")


@_given(parsers.parse(PIN_ID_STEP))
def the_next_id_is(sync_scenario: SyncScenario, config_id: str) -> None:
    sync_scenario.ids.pin(config_id)


@_given(parsers.parse('the idempotency key "{key}"'))
def the_idempotency_key(sync_scenario: SyncScenario, key: str) -> None:
    sync_scenario.idempotency_key = key


@_given(parsers.parse("an idempotency key of {length:d} characters"))
def an_idempotency_key_of(sync_scenario: SyncScenario, length: int) -> None:
    sync_scenario.idempotency_key = "k" * length


@_given("the hub draws its own ids")
def the_hub_draws_its_own_ids(sync_scenario: SyncScenario) -> None:
    """Later calls go to a hub without an id factory on the same store: ids as users get them
    (pinned ids, drawn by the scenario's factory, skip the hub's own path)."""
    sync_scenario.use_hub_ids()


@_given(parsers.parse("User has created {count:d} sync configs"))
def user_has_created(sync_scenario: SyncScenario, count: int) -> None:
    """``count`` configs, one call each, named after the default input's name and a number."""
    for n in range(1, count + 1):
        call = sync_scenario.create(_numbered(sync_scenario, n))
        expect(call.error is None, call.describe())


def _numbered(sync_scenario: SyncScenario, n: int) -> dict[str, Any]:
    data = dict(sync_scenario.default_input)
    data["name"] = f"{data.get('name', 'Sync')} {n}"
    return data


@_given(parsers.re(r"the (?P<event_name>[A-Z]\w*) signal is muted"))
def the_signal_is_muted(sync_scenario: SyncScenario, event_name: str) -> None:
    """Mutes the event's blinker signal (``signal.muted()``) until the scenario ends."""
    sync_scenario.stack.enter_context(signal_for(_declared_event(event_name).key).muted())


@_given("a subscriber that fails on every event")
def a_failing_subscriber(sync_scenario: SyncScenario) -> None:
    sync_scenario.failing = FailingSubscriber().connect(sync_scenario.hub, sync_scenario.stack)


@_given("a second subscriber")
def a_second_subscriber(sync_scenario: SyncScenario) -> None:
    recorder = EventRecorder(lambda org_id, config_id: None)  # it only counts what it receives
    sync_scenario.second = recorder.connect(sync_scenario.hub, sync_scenario.stack)


# -- When ---------------------------------------------------------------------------------------

_CREATE = "User creates sync config"


@_when(_CREATE)
def user_creates_sync_config(sync_scenario: SyncScenario) -> None:
    sync_scenario.create(dict(sync_scenario.default_input))


@_when(parsers.re(_CREATE + " with:?"))
def user_creates_sync_config_with(
    sync_scenario: SyncScenario,
    docstring: str | None = None,
    datatable: list[list[str]] | None = None,
) -> None:
    sync_scenario.create(_mapping(docstring, datatable))


_MISSING = "(missing)"
_CHARACTERS = re.compile(r"\((\d+) characters\)")


@_when(parsers.re(_CREATE + r" with (?P<field>\S+) set to (?P<value>.+)"))
def user_creates_sync_config_with_field(
    sync_scenario: SyncScenario, field: str, value: str
) -> None:
    data: dict[str, object] = dict(sync_scenario.default_input)
    length = _CHARACTERS.fullmatch(value.strip())
    if value.strip() == _MISSING:
        data.pop(field, None)
    elif length:
        data[field] = "x" * int(length.group(1))
    else:
        try:
            data[field] = json.loads(value)
        except json.JSONDecodeError:
            raise AssertionError(
                f"{value!r} is neither JSON nor {_MISSING} nor (<n> characters)"
            ) from None
    sync_scenario.create(data)


@_when(_CREATE + " with keywords:")
def user_creates_sync_config_with_keywords(
    sync_scenario: SyncScenario, datatable: list[list[str]]
) -> None:
    """The input as snake_case keywords (``integration_id | int-1`` rows)."""
    keywords = _mapping(None, datatable)
    assert isinstance(keywords, dict)
    wire_input = {_camel(name): value for name, value in keywords.items()}
    sync_scenario.create(wire_input, keywords=keywords)


_BATCH = "User creates sync configs in a batch"


@_when(parsers.parse(_BATCH + " of {count:d}"))
def user_creates_a_batch_of(sync_scenario: SyncScenario, count: int) -> None:
    sync_scenario.create_batch([_numbered(sync_scenario, n) for n in range(1, count + 1)])


@_when(_BATCH + ":")
def user_creates_a_batch(sync_scenario: SyncScenario, docstring: str) -> None:
    sync_scenario.create_batch(_mapping(docstring, None))


_LIST = "User lists sync configs"


@_when(_LIST)
def user_lists_sync_configs(sync_scenario: SyncScenario) -> None:
    sync_scenario.list_configs(action=_LIST)


@_when(parsers.re(_LIST + r" with limit (?P<limit>\S+) and offset (?P<offset>\S+)"))
def user_lists_sync_configs_with(sync_scenario: SyncScenario, limit: str, offset: str) -> None:
    """``limit`` and ``offset`` are JSON values (so ``"2"`` is a string)."""
    try:
        bounds = json.loads(limit), json.loads(offset)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"limit and offset must be JSON values: {exc}") from None
    sync_scenario.list_configs(limit=bounds[0], offset=bounds[1], action=_LIST)


@_when(_CREATE + " again")
def user_creates_sync_config_again(sync_scenario: SyncScenario) -> None:
    creates = sync_scenario.creates()
    expect(bool(creates), "there is no earlier call to repeat")
    sync_scenario.create(creates[-1].input, action=_CREATE + " again")


@_when(parsers.re(_CREATE + " again with:?"))
def user_creates_sync_config_again_with(
    sync_scenario: SyncScenario,
    docstring: str | None = None,
    datatable: list[list[str]] | None = None,
) -> None:
    sync_scenario.create(_mapping(docstring, datatable), action=_CREATE + " again")


@_when("a user of another org reads the sync config")
def another_org_reads(sync_scenario: SyncScenario) -> None:
    config, _ = sync_scenario.created()
    other = sync_scenario.other_org_user()
    sync_scenario.read_as(other, config.id, action="a user of another org reads the sync config")


# -- Then: the contract's phrases ---------------------------------------------------------------


@_then("Sync config is created")
def sync_config_is_created(sync_scenario: SyncScenario) -> None:
    """Each config the last create call returned (one, or a batch's) is in storage, as returned
    (read through a new connection where the store allows one), in the caller's org; its wire
    form is the input's values over the contract's defaults, and an id the SDK drew is
    ``sync_`` + 32 hex digits."""
    configs, caller = sync_scenario.created_configs()
    call = sync_scenario.creates()[-1]
    sent = call.input if isinstance(call.result, list) else [call.input]
    expect(
        isinstance(sent, Sequence) and len(sent) == len(configs),
        f"{call.action} sent {sent!r} and returned {len(configs)} config(s)",
    )
    assert isinstance(sent, Sequence)
    expect(
        len({c.id for c in configs}) == len(configs),
        f"{call.action} returned configs sharing an id: {[c.id for c in configs]}",
    )
    for config, data in zip(configs, sent, strict=True):
        _check_created(sync_scenario, config, caller, data)


@_then("the sync configs are created")
def the_sync_configs_are_created(sync_scenario: SyncScenario) -> None:
    """As ``Sync config is created``, for each config of a batch."""
    sync_config_is_created(sync_scenario)


def _check_created(
    sync_scenario: SyncScenario, config: SyncConfig, caller: Actor, data: object
) -> None:
    stored = sync_scenario.read_back(config.id, caller)
    expect(
        stored is not None,
        f"sync config {config.id!r} was returned but is not in storage "
        f"{sync_scenario.where()} for org {caller.org_id!r}",
    )
    expect(
        stored == config,
        f"the stored config differs from the one returned:\n  stored:   {stored!r}\n"
        f"  returned: {config!r}",
    )
    expect(isinstance(data, Mapping), f"the input was {data!r}, not a mapping")
    assert isinstance(data, Mapping)
    # None means absent: the contract's defaults apply
    expected = {**_CREATED_DEFAULTS, **{k: v for k, v in data.items() if v is not None}}
    actual = wire(config)
    problems = _key_problems(actual, _CONFIG_KEYS, "the config")
    problems += [
        f"{key}: the input says {canonical(expected[key])}, the config has {canonical(value)}"
        for key, value in actual.items()
        if key in expected and canonical(value) != canonical(expected[key])
    ]
    problems += _id_problems(sync_scenario, config.id)
    expect(not problems, f"sync config {config.id!r}:\n  " + "\n  ".join(problems))


def _key_problems(actual: Mapping[str, object], keys: frozenset[str], what: str) -> list[str]:
    return [
        *(f"{key}: missing from {what}" for key in sorted(keys - actual.keys())),
        *(f"{key}: not a key {what} has" for key in sorted(actual.keys() - keys)),
    ]


def _id_problems(sync_scenario: SyncScenario, config_id: object) -> list[str]:
    """An id the SDK drew (not pinned by a Given step) must be ``sync_`` + 32 hex digits."""
    if isinstance(config_id, str) and sync_scenario.ids.was_pinned(config_id):
        return []
    if isinstance(config_id, str) and CONFIG_ID_FORMAT.fullmatch(config_id):
        return []
    return [f"id: {config_id!r} is not sync_ followed by 32 lowercase hex digits"]


@_then(parsers.re(EVENT_STEP.format(event_name=r"(?P<event_name>[A-Z]\w*)")))
def event_is_emitted(sync_scenario: SyncScenario, event_name: str) -> None:
    """Exactly one event of that key and declared version per config created, published after
    the commit, its payload the created config, its actor and org the caller's; its wire form
    (``to_dict()``) carries all of that as JSON, and its outbox row holds the same."""
    declared = _declared_event(event_name)
    configs, caller = sync_scenario.created_configs()
    published = sync_scenario.events.of(declared.key)
    created = sync_scenario.created_ids()
    expect(
        len(published) == len(created),
        f"{len(published)} {declared.key} events were published for {len(created)} "
        f"sync config(s) created: {[p.event.payload.id for p in published]}",
    )
    for config in configs:
        for_config = [p for p in published if p.event.payload.id == config.id]
        expect(
            len(for_config) == 1,
            f"expected exactly one {declared.key} event for sync config {config.id!r}, "
            f"got {len(for_config)} (of {len(published)} {declared.key} events in the scenario)",
        )
        _check_event(for_config[0], declared, config, caller)
        _check_wire_form(for_config[0].event, declared, config, caller)
        _check_outbox_row(sync_scenario, for_config[0].event, config)


@_then(
    parsers.re(
        r"the (?P<event_name>[A-Z]\w*) event's wire form and outbox row carry the config, "
        r"its actor and its org"
    )
)
def the_event_wire_form(sync_scenario: SyncScenario, event_name: str) -> None:
    """For each config created: the event's ``to_dict()`` has exactly the envelope's keys
    (id, key, version, occurredAt, payload, actorId, orgId) as JSON values, and its outbox row
    holds the same event."""
    declared = _declared_event(event_name)
    configs, caller = sync_scenario.created_configs()
    for config in configs:
        events = [
            p.event
            for p in sync_scenario.events.of(declared.key)
            if p.event.payload.id == config.id
        ]
        expect(len(events) == 1, f"expected one {declared.key} event for {config.id!r}: {events}")
        _check_wire_form(events[0], declared, config, caller)
        _check_outbox_row(sync_scenario, events[0], config)


def _check_event(
    published: PublishedEvent, declared: EmittedEvent, config: SyncConfig, caller: Actor
) -> None:
    event = published.event
    expect(
        (event.key, event.version) == (declared.key, declared.version),
        f"event is {event.key} v{event.version}, the contract declares "
        f"{declared.key} v{declared.version}",
    )
    expect(
        event.payload == config,
        f"the event's payload differs from the created config:\n  payload: {event.payload!r}\n"
        f"  created: {config!r}",
    )
    expect(
        (event.actor_id, event.org_id) == (caller.id, caller.org_id),
        f"the event names actor {event.actor_id!r} in org {event.org_id!r}, "
        f"the caller is {caller.id!r} in {caller.org_id!r}",
    )
    expect(
        published.read_error is None and published.committed == config,
        f"{declared.key} {event.id} was published before its config was committed: "
        f"a separate read of storage, when the event arrived, saw "
        f"{published.read_error or published.committed!r}",
    )


def _check_wire_form(
    event: EventEnvelope, declared: EmittedEvent, config: SyncConfig, caller: Actor
) -> None:
    try:
        actual = json.loads(json.dumps(event.to_dict(), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"the wire form of event {event.id} is not JSON: {exc}") from None
    expected = {
        "id": event.id,
        "key": declared.key,
        "version": declared.version,
        "payload": wire(config),
        "actorId": caller.id,
        "orgId": caller.org_id,
    }
    problems = _key_problems(actual, _EVENT_KEYS, "the event's wire form")
    problems += [
        f"{key}: expected {canonical(value)}, got {canonical(actual[key])}"
        for key, value in expected.items()
        if key in actual and canonical(actual[key]) != canonical(value)
    ]
    if "occurredAt" in actual and not _is_utc_time(actual["occurredAt"], event.occurred_at):
        problems.append(
            f"occurredAt: {actual['occurredAt']!r} is not the ISO 8601 UTC time of "
            f"{event.occurred_at!r}"
        )
    expect(not problems, f"the wire form of event {event.id}:\n  " + "\n  ".join(problems))


def _is_utc_time(text: object, moment: datetime) -> bool:
    try:
        parsed = datetime.fromisoformat(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return parsed.utcoffset() == timedelta(0) and parsed == moment


def _check_outbox_row(
    sync_scenario: SyncScenario, event: EventEnvelope, config: SyncConfig
) -> None:
    with sync_scenario.hub.storage.unit_of_work(write=False) as uow:
        rows = [e for e in uow.outbox.list() if e.subject_id == config.id]
    expect(len(rows) == 1, f"expected one outbox row for sync config {config.id!r}: {rows!r}")
    row = rows[0]
    stored = (row.id, row.key, row.version, row.occurred_at, row.actor_id, row.org_id)
    sent = (event.id, event.key, event.version, event.occurred_at, event.actor_id, event.org_id)
    expect(
        stored == sent,
        f"the outbox row of {config.id!r} differs from the event published:\n"
        f"  row:   {stored!r}\n  event: {sent!r}",
    )
    try:
        payload = json.loads(row.payload_json)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"the outbox payload of {row.id} is not JSON: {exc}") from None
    expect(
        canonical(payload) == canonical(wire(config)),
        f"the outbox payload of {row.id} is not the config's wire form:\n"
        f"  payload: {canonical(payload)}\n  config:  {canonical(wire(config))}",
    )
    expect(
        SyncConfig.from_dict(payload) == config,
        f"the outbox payload of {row.id} does not read back as the config (what redelivery sends)",
    )


# -- Then: examples -----------------------------------------------------------------------------


@_then(OUTPUT_STEP)
def the_output_matches(
    sync_scenario: SyncScenario,
    docstring: str | None = None,
    datatable: list[list[str]] | None = None,
) -> None:
    """Every key of the expected output, compared with the real output as JSON (so ``false``
    is not ``0``); a pinned id is compared with the id the hub was told to give. The output has
    exactly the output model's keys, and an id the example does not list must be ``sync_`` +
    32 hex digits."""
    expected = _mapping(docstring, datatable)
    expect(isinstance(expected, dict), f"the expected output must be a JSON object: {expected!r}")
    assert isinstance(expected, dict)
    config, _ = sync_scenario.created()
    actual = wire(config)
    problems = _key_problems(actual, _CONFIG_KEYS, "the output")
    for key, value in expected.items():
        if key == "id" and isinstance(value, str):
            value = sync_scenario.ids.pins.get(value, value)
        if key not in actual:
            problems.append(f"{key}: not in the output (its keys: {', '.join(actual)})")
        elif canonical(actual[key]) != canonical(value):
            problems.append(f"{key}: expected {canonical(value)}, got {canonical(actual[key])}")
    if "id" not in expected:
        problems += _id_problems(sync_scenario, actual.get("id"))
    expect(not problems, "the output differs from the example:\n  " + "\n  ".join(problems))


@_then(parsers.parse(AUDIT_STEP))
def audit_record_is_written(sync_scenario: SyncScenario, audit_key: str) -> None:
    """One audit record of that key for each created config, by the caller, in the caller's
    org, naming the config's event in the outbox (written in the same transaction)."""
    configs, caller = sync_scenario.created_configs()
    hub = sync_scenario.hub
    log = hub.audit_log(actor=caller)
    with hub.storage.unit_of_work(write=False) as uow:
        outbox = uow.outbox.list()
    for config in configs:
        records = [r for r in log if r.subject_id == config.id and r.key == audit_key]
        expect(
            len(records) == 1,
            f"expected one audit record {audit_key!r} for sync config {config.id!r}, got "
            f"{len(records)} (the org's audit log: {log!r})",
        )
        record = records[0]
        expect(
            (record.actor_id, record.org_id) == (caller.id, caller.org_id),
            f"the audit record names {record.actor_id!r} in {record.org_id!r}, "
            f"the caller is {caller.id!r} in {caller.org_id!r}",
        )
        events = [e.id for e in outbox if e.subject_id == config.id]
        expect(
            record.event_id in events,
            f"the audit record names event {record.event_id!r}; the config's outbox events: "
            f"{events}",
        )


# -- Then: failures -----------------------------------------------------------------------------


@_then(parsers.re(r"the call fails with (?P<error>[A-Za-z_]\w*)"))
def the_call_fails_with(sync_scenario: SyncScenario, error: str) -> None:
    """The last call raised that ``sync_sdk.errors`` type, with the code and status the README
    documents for it (:data:`PROBLEMS`) in its attributes and its problem details, and an
    instance of the builtin it is documented to subclass (``ValidationError``: ``ValueError``)."""
    expected = getattr(errors, error, None)
    expect(
        isinstance(expected, type) and issubclass(expected, errors.SyncSdkError),
        f"{error!r} is not an error of sync_sdk.errors",
    )
    call = sync_scenario.last
    expect(
        isinstance(call.error, expected),  # type: ignore[arg-type]
        f"expected {error}: {call.describe()}",
    )
    assert call.error is not None
    builtin = _BUILTINS.get(error)
    expect(
        builtin is None or isinstance(call.error, builtin),
        f"{error} must also be a {builtin and builtin.__name__}: {type(call.error).__mro__}",
    )
    if error in PROBLEMS:
        code, status = PROBLEMS[error]
        problem = call.error.to_problem()
        seen = {
            "attributes": (call.error.code, call.error.status),
            "problem details": (problem.get("code"), problem.get("status")),
        }
        expect(
            all(pair == (code, status) for pair in seen.values()),
            f"{error} has code {code} and status {status}; the error raised has {seen}",
        )


@_then("the problem details are:")
def the_problem_details_are(sync_scenario: SyncScenario, docstring: str) -> None:
    """The last call's error as problem details (``to_problem()``): JSON text, with exactly the
    keys type, title, status, code, detail, issues. Each key of the doc string is compared as
    JSON; ``issues`` as a set, each issue on the keys the doc string gives it (every issue has a
    path, a code and a non-empty message); ``detail``, when not given, must be non-empty text."""
    expected = _mapping(docstring, None)
    expect(isinstance(expected, dict), f"the problem details must be a JSON object: {expected!r}")
    assert isinstance(expected, dict)
    call = sync_scenario.last
    expect(call.error is not None, f"expected an error: {call.describe()}")
    assert call.error is not None
    try:
        text = json.dumps(call.error.to_problem(), ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"the problem details are not JSON text: {exc}") from None
    body = json.loads(text)
    problems = _key_problems(body, _PROBLEM_KEYS, "problem details")
    detail = body.get("detail")
    if "detail" not in expected and not (isinstance(detail, str) and detail.strip()):
        problems.append(f"detail: {detail!r} is not a non-empty text")
    for key, value in expected.items():
        if key not in body:
            problems.append(f"{key}: not in the problem details")
        elif key == "issues":
            problems += _issue_problems(body[key], value)
        elif canonical(body[key]) != canonical(value):
            problems.append(f"{key}: expected {canonical(value)}, got {canonical(body[key])}")
    expect(not problems, "the problem details differ:\n  " + "\n  ".join(problems))


def _issue_problems(actual: object, expected: object) -> list[str]:
    if not isinstance(actual, list) or not isinstance(expected, list):
        return [f"issues: expected a list, got {canonical(actual)}"]
    problems = [
        f"issues: {canonical(issue)} lacks a path, a code or a message"
        for issue in actual
        if not (
            isinstance(issue, dict)
            and isinstance(issue.get("path"), str)
            and isinstance(issue.get("code"), str)
            and isinstance(issue.get("message"), str)
            and issue["message"].strip()
        )
    ]
    left = list(actual)
    for want in expected:
        match = next(
            (
                i
                for i, issue in enumerate(left)
                if isinstance(issue, dict)
                and isinstance(want, dict)
                and all(canonical(issue.get(k)) == canonical(v) for k, v in want.items())
            ),
            None,
        )
        if match is None:
            problems.append(f"issues: none is {canonical(want)}")
        else:
            del left[match]
    problems += [f"issues: {canonical(issue)} is not expected" for issue in left]
    return problems


def _issues(sync_scenario: SyncScenario) -> list[tuple[str, str]]:
    call = sync_scenario.last
    expect(
        isinstance(call.error, errors.ValidationError),
        f"expected ValidationError: {call.describe()}",
    )
    assert isinstance(call.error, errors.ValidationError)
    return [(issue.path, issue.code) for issue in call.error.issues]


@_then(parsers.re(r'an issue "(?P<code>[^"]*)" is reported at "(?P<path>[^"]*)"'))
def an_issue_is_reported(sync_scenario: SyncScenario, code: str, path: str) -> None:
    """That issue, among any others."""
    issues = _issues(sync_scenario)
    expect((path, code) in issues, f"no issue {code!r} at {path!r}; issues: {issues}")


@_then(parsers.re(r'only the issue "(?P<code>[^"]*)" is reported at "(?P<path>[^"]*)"'))
def only_the_issue_is_reported(sync_scenario: SyncScenario, code: str, path: str) -> None:
    """That issue, and no other."""
    issues = _issues(sync_scenario)
    expect(issues == [(path, code)], f"expected only {code!r} at {path!r}; issues: {issues}")


@_then("the issues are:")
def the_issues_are(sync_scenario: SyncScenario, datatable: list[list[str]]) -> None:
    """Exactly these (path, code) issues, in any order; the table's header is path | code."""
    expect(datatable[:1] == [["path", "code"]], "the table's header must be: | path | code |")
    expected = sorted((row[0], row[1]) for row in datatable[1:])
    actual = sorted(_issues(sync_scenario))
    expect(actual == expected, f"issues differ:\n  expected: {expected}\n  actual:   {actual}")


@_then("only these issues are reported:")
def only_these_issues_are_reported(sync_scenario: SyncScenario, datatable: list[list[str]]) -> None:
    """As ``the issues are:``: exactly these (path, code) issues, nothing more."""
    the_issues_are(sync_scenario, datatable)


@_then("nothing is stored")
def nothing_is_stored(sync_scenario: SyncScenario) -> None:
    """No config, audit record or outbox event was written by the last call (in a shared
    store: none in the orgs that call could have written to)."""
    call = sync_scenario.last
    now = sync_scenario.stored(call.caller)
    expect(
        now == call.stored_before,
        f"{call.action} wrote to storage {sync_scenario.where()}: "
        f"(configs, audit records, outbox events) were {call.stored_before}, now {now}",
    )


@_then("no event is emitted")
def no_event_is_emitted(sync_scenario: SyncScenario) -> None:
    call = sync_scenario.last
    new = sync_scenario.events.events[call.events_before :]
    expect(not new, f"{call.action} published {[p.event for p in new]}")


# -- Then: idempotency, isolation, subscribers --------------------------------------------------


@_then("both calls return the same config")
def both_calls_return_the_same_config(sync_scenario: SyncScenario) -> None:
    creates = sync_scenario.creates()
    expect(len(creates) >= 2, f"expected two create calls, got {len(creates)}")
    first, second = creates[-2], creates[-1]
    for call in (first, second):
        expect(call.error is None, call.describe())
    expect(
        first.result == second.result,
        f"the calls returned different configs:\n  {first.result!r}\n  {second.result!r}",
    )


@_then(parsers.re(r"User's org has (?P<count>\d+) sync configs?"))
def users_org_has(sync_scenario: SyncScenario, count: str) -> None:
    page = sync_scenario.hub.list_sync_configs(actor=sync_scenario.actor)
    expect(
        page.total == int(count) == len(page.items),
        f"User's org has {page.total} sync configs ({len(page.items)} listed), not {count}",
    )


@_then(parsers.parse("the page holds sync configs {first:d} to {last:d}, of {total:d} in total"))
def the_page_holds(sync_scenario: SyncScenario, first: int, last: int, total: int) -> None:
    """The last listing returned the scenario's ``first``-th to ``last``-th created configs
    (counting from 1, oldest first), the org's ``total``, the ``limit`` and ``offset`` asked
    for (20 and 0 by default), and ``has_more`` when configs follow the page."""
    _check_page(sync_scenario, sync_scenario.all_created()[first - 1 : last], total)


@_then(parsers.parse("the page holds no sync configs, of {total:d} in total"))
def the_page_holds_none(sync_scenario: SyncScenario, total: int) -> None:
    """As ``the page holds sync configs ...``, for an empty page."""
    _check_page(sync_scenario, [], total)


def _check_page(sync_scenario: SyncScenario, expected: list[SyncConfig], total: int) -> None:
    call = sync_scenario.last
    expect(call.error is None and isinstance(call.result, Page), call.describe())
    page = call.result
    asked = call.input if isinstance(call.input, dict) else {}
    limit, offset = asked.get("limit", 20), asked.get("offset", 0)
    problems = []
    if list(page.items) != expected:
        problems.append(
            f"items: expected {[c.id for c in expected]}, got {[c.id for c in page.items]}"
        )
    seen = {"total": page.total, "limit": page.limit, "offset": page.offset}
    for key, value in {"total": total, "limit": limit, "offset": offset}.items():
        if seen[key] != value:
            problems.append(f"{key}: expected {value!r}, got {seen[key]!r}")
    more = offset + len(expected) < total
    if page.has_more is not more:
        problems.append(f"has_more: expected {more}, got {page.has_more!r}")
    expect(not problems, f"{call.action} returned a page that differs:\n  " + "\n  ".join(problems))


@_then("a user of another org lists no sync configs")
def another_org_lists_none(sync_scenario: SyncScenario) -> None:
    page = sync_scenario.hub.list_sync_configs(actor=sync_scenario.other_org_user())
    expect(
        page.total == 0 and not page.items,
        f"a user of another org lists {page.total}: {page.items!r}",
    )


@_then("the failing subscriber was called")
def the_failing_subscriber_was_called(sync_scenario: SyncScenario) -> None:
    failing = sync_scenario.failing
    expect(failing is not None, "no failing subscriber: Given a subscriber that fails ...")
    assert failing is not None
    expect(failing.calls == 1, f"the failing subscriber was called {failing.calls} times, not 1")


@_then(parsers.re(r"the second subscriber received the (?P<event_name>[A-Z]\w*) event"))
def the_second_subscriber_received(sync_scenario: SyncScenario, event_name: str) -> None:
    declared = _declared_event(event_name)
    config, _ = sync_scenario.created()
    second = sync_scenario.second
    expect(second is not None, "no second subscriber: Given a second subscriber")
    assert second is not None
    received = [p.event for p in second.of(declared.key) if p.event.payload.id == config.id]
    expect(
        len(received) == 1 and received[0].payload == config,
        f"the second subscriber received {received!r}",
    )


@_then("the event is marked delivered")
def the_event_is_marked_delivered(sync_scenario: SyncScenario) -> None:
    """Once the hub has written its delivery marks (``flush()``, also done by ``close()``), the
    outbox row of each config created is delivered: it will not be sent again."""
    configs, _ = sync_scenario.created_configs()
    hub = sync_scenario.hub
    hub.flush()
    ids = {config.id for config in configs}
    with hub.storage.unit_of_work(write=False) as uow:
        rows = [e for e in uow.outbox.list() if e.subject_id in ids]
    expect(len(rows) == len(ids), f"expected one outbox event per config of {ids}: {rows!r}")
    pending = [e.id for e in rows if not e.delivered]
    expect(not pending, f"these events are still pending after the hub's flush: {pending}")


@_then("the event stays pending for redelivery")
def the_event_stays_pending(sync_scenario: SyncScenario) -> None:
    """Its outbox row is not marked delivered, even once the hub has written its delivery marks.

    (Redelivering here would claim the pending events of every org, other scenarios' too, in a
    shared store: the README and the hub's tests cover ``redeliver_pending``.)
    """
    config, _ = sync_scenario.created()
    hub = sync_scenario.hub
    hub.flush()
    with hub.storage.unit_of_work(write=False) as uow:
        rows = [e for e in uow.outbox.list() if e.subject_id == config.id]
    expect(len(rows) == 1, f"expected one outbox event for {config.id!r}, got {rows!r}")
    expect(
        not rows[0].delivered,
        "the event was marked delivered though a subscriber failed",
    )
