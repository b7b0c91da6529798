"""The step library: every phrase the generated features and sync_sdk's own features use.

Each step asserts what it says against the real SDK and its storage; none is a no-op. The
phrases (docs/harness.md lists them) are matched exactly, and a phrase with no definition fails
its scenario (pytest-bdd raises ``StepDefinitionNotFoundError``).

One When step runs any registered operation: ``When User runs "integration.sync.trigger" with:``
and a JSON doc string (or a table) calls ``SyncHub.execute`` and records the call under its
operation. The contracts' own phrases ("User triggers sync", "User lists sync runs", ...) are
thin aliases of it, and each Then step resolves what it names against the contract of the
operation that ran: ``SyncStarted event is emitted`` is ``integration.sync.started``, which
``integration.sync.trigger`` declares, and ``an audit record "integration.sync.triggered" is
written`` is that operation's audit key.

A project loads the library in its root ``conftest.py``; its own steps of the same phrase win
(pytest-bdd prefers the definition closest to the test), and its scenarios run on the storage
targets when tagged ``@sync_sdk`` (see :mod:`sync_sdk.testing.plugin`)::

    pytest_plugins = ["sync_sdk.testing.steps"]

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import attrs
from pytest_bdd import given, parsers, then, when
from pytest_bdd.parsers import StepParser

from sync_sdk import credentials, errors
from sync_sdk.contracts import (
    ADD_FIELD_MAPPING,
    CREATE_CONNECTION,
    CREATE_INTEGRATION,
    LIST_SYNC_RUNS,
    TRIGGER_SYNC,
    registry,
)
from sync_sdk.contracts.gherkin import (
    AUDIT_STEP,
    AUTH_STEPS,
    CONFIG_EXISTS_STEP,
    EVENT_STEP,
    NO_AUDIT_STEP,
    NO_EVENT_STEP,
    OUTPUT_STEP,
    PIN_ID_STEP,
    RUN_STEP,
    entity_name,
    event_phrase_name,
)
from sync_sdk.contracts.spec import EmittedEvent, OperationContract
from sync_sdk.events import EventEnvelope, envelope_from_outbox
from sync_sdk.models import SyncConfig, SyncStatus
from sync_sdk.operations.tables import CONNECTIONS, SYNC_RUNS
from sync_sdk.records import Actor, OutboxEvent, Page
from sync_sdk.signals import signal_for
from sync_sdk.testing.harness import (
    ID_PREFIXES,
    Call,
    EventRecorder,
    FailingSubscriber,
    PublishedEvent,
    SyncScenario,
    canonical,
    expect,
    id_format,
    wire,
)

__all__ = ["PROBLEMS"]

# Loaded by a project's root conftest.py (``pytest_plugins = ["sync_sdk.testing.steps"]``): the
# steps need the plugin's fixtures, there even when pytest's plugin autoload is disabled; the
# run lifecycle's phrases come with them.
pytest_plugins = ["sync_sdk.testing.plugin", "sync_sdk.testing.run_steps"]

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
    "SecretKeyRequired": ("SECRET_KEY_REQUIRED", 500),
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
    sync_scenario.caller_chosen = True


@_given(AUTH_STEPS["admin"])
def user_is_an_admin(sync_scenario: SyncScenario) -> None:
    user_is_authenticated(sync_scenario)
    user = sync_scenario.actor
    # (mypy cannot bind the type variable of frozenset, Actor.roles' attrs converter)
    sync_scenario.caller = Actor(user.id, user.org_id, roles=("admin",))  # type: ignore[arg-type]
    sync_scenario.caller_chosen = True


@_given(AUTH_STEPS["anonymous"])
def user_is_not_authenticated(sync_scenario: SyncScenario) -> None:
    sync_scenario.caller = None
    sync_scenario.caller_chosen = True


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
    sync_scenario.caller_chosen = True
    if sync_scenario.caller is not None:
        expect(not sync_scenario.caller.is_authenticated, f"{caller} is authenticated")


#: The prefix of each entity's ids, by the name a step gives it (``sync run``: ``run_``).
_PREFIXES = {entity_name(model): prefix for model, prefix in ID_PREFIXES.items()}


@_given(parsers.parse(PIN_ID_STEP))
def the_next_id_is(sync_scenario: SyncScenario, entity: str, entity_id: str) -> None:
    """The hub gives that id to the next entity of that kind (``sync config``, ``integration``,
    ``connection``, ``field mapping``, ``sync run``: see ``ID_PREFIXES``)."""
    expect(
        entity in _PREFIXES,
        f"no id prefix is known for {entity!r}; known: {', '.join(_PREFIXES)} "
        "(sync_sdk.testing.harness.ID_PREFIXES)",
    )
    sync_scenario.ids.pin(entity_id, _PREFIXES[entity])


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
    recorder = EventRecorder(lambda org_id, payload: None)  # it only counts what it receives
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
    problems += _id_problems(sync_scenario, config.id, SyncConfig)
    expect(not problems, f"sync config {config.id!r}:\n  " + "\n  ".join(problems))


def _key_problems(actual: Mapping[str, object], keys: frozenset[str], what: str) -> list[str]:
    return [
        *(f"{key}: missing from {what}" for key in sorted(keys - actual.keys())),
        *(f"{key}: not a key {what} has" for key in sorted(actual.keys() - keys)),
    ]


def _id_problems(sync_scenario: SyncScenario, entity_id: object, model: type) -> list[str]:
    """An id the SDK drew (not pinned by a Given step) must be the model's prefix (``sync_``
    for a config) and 32 hex digits."""
    if isinstance(entity_id, str) and sync_scenario.ids.was_pinned(entity_id):
        return []
    prefix = ID_PREFIXES.get(model)
    if prefix is None or (isinstance(entity_id, str) and id_format(prefix).fullmatch(entity_id)):
        return []
    return [f"id: {entity_id!r} is not {prefix} followed by 32 lowercase hex digits"]


def _emitting(sync_scenario: SyncScenario, declared: EmittedEvent) -> tuple[list[Call], Call]:
    """The scenario's calls of operations whose contract emits ``declared``, and the last one
    (which must have succeeded): the event step asks about that operation's outputs."""
    contracts = [
        c for c in registry for e in c.side_effects.emits if (e.key, e.version) == _ident(declared)
    ]
    last = sync_scenario.last_of(contracts, f"emits {declared.key}")
    keys = {c.key for c in contracts}
    return [c for c in sync_scenario.calls if c.operation in keys], last


def _ident(declared: EmittedEvent) -> tuple[str, str]:
    return declared.key, declared.version


@_then(parsers.re(EVENT_STEP.format(event_name=r"(?P<event_name>[A-Z]\w*)")))
def event_is_emitted(sync_scenario: SyncScenario, event_name: str) -> None:
    """The event is resolved against the contract of the operation that ran (``SyncStarted``:
    ``integration.sync.started``, which ``integration.sync.trigger`` emits). Exactly one event
    of that key and declared version per entity the scenario's calls of that operation
    returned, published after the commit, its payload the entity the last call returned, its
    actor and org the caller's; its wire form (``to_dict()``) carries all of that as JSON, and
    its outbox row holds the same."""
    declared = _declared_event(event_name)
    calls, last = _emitting(sync_scenario, declared)
    published = sync_scenario.events.of(declared.key)
    subjects = {output.id for call in calls for output in call.outputs}
    expect(
        len(published) == len(subjects),
        f"{len(published)} {declared.key} events were published for {len(subjects)} "
        f"entities returned by {last.operation}: {[p.event.payload.id for p in published]}",
    )
    caller = last.caller
    assert caller is not None
    for output in last.outputs:
        for_output = [p for p in published if p.event.payload.id == output.id]
        expect(
            len(for_output) == 1,
            f"expected exactly one {declared.key} event for {output.id!r}, got "
            f"{len(for_output)} (of {len(published)} {declared.key} events in the scenario)",
        )
        _check_event(for_output[0], declared, output, caller)
        _check_wire_form(for_output[0].event, declared, output, caller)
        _check_outbox_row(sync_scenario, for_output[0].event, output)


@_then(
    parsers.re(
        r"the (?P<event_name>[A-Z]\w*) event's wire form and outbox row carry the config, "
        r"its actor and its org"
    )
)
def the_event_wire_form(sync_scenario: SyncScenario, event_name: str) -> None:
    """For each entity the last call of the emitting operation returned: the event's
    ``to_dict()`` has exactly the envelope's keys (id, key, version, occurredAt, payload,
    actorId, orgId) as JSON values, and its outbox row holds the same event."""
    declared = _declared_event(event_name)
    _, last = _emitting(sync_scenario, declared)
    caller = last.caller
    assert caller is not None
    for output in last.outputs:
        events = [
            p.event
            for p in sync_scenario.events.of(declared.key)
            if p.event.payload.id == output.id
        ]
        expect(len(events) == 1, f"expected one {declared.key} event for {output.id!r}: {events}")
        _check_wire_form(events[0], declared, output, caller)
        _check_outbox_row(sync_scenario, events[0], output)


def _check_event(
    published: PublishedEvent, declared: EmittedEvent, output: Any, caller: Actor
) -> None:
    event = published.event
    expect(
        (event.key, event.version) == (declared.key, declared.version),
        f"event is {event.key} v{event.version}, the contract declares "
        f"{declared.key} v{declared.version}",
    )
    expect(
        event.payload == output,
        f"the event's payload differs from what the call returned:\n"
        f"  payload:  {event.payload!r}\n  returned: {output!r}",
    )
    expect(
        (event.actor_id, event.org_id) == (caller.id, caller.org_id),
        f"the event names actor {event.actor_id!r} in org {event.org_id!r}, "
        f"the caller is {caller.id!r} in {caller.org_id!r}",
    )
    expect(
        published.read_error is None and published.committed == output,
        f"{declared.key} {event.id} was published before its {type(output).__name__} was "
        f"committed: a separate read of storage, when the event arrived, saw "
        f"{published.read_error or published.committed!r}",
    )


def _check_wire_form(
    event: EventEnvelope, declared: EmittedEvent, output: Any, caller: Actor
) -> None:
    try:
        actual = json.loads(json.dumps(event.to_dict(), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"the wire form of event {event.id} is not JSON: {exc}") from None
    expected = {
        "id": event.id,
        "key": declared.key,
        "version": declared.version,
        "payload": wire(output),
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


def _outbox_rows(sync_scenario: SyncScenario, subject_id: str) -> list[OutboxEvent]:
    with sync_scenario.hub.storage.unit_of_work(write=False) as uow:
        return [e for e in uow.outbox.list() if e.subject_id == subject_id]


def _check_outbox_row(sync_scenario: SyncScenario, event: EventEnvelope, output: Any) -> None:
    rows = [r for r in _outbox_rows(sync_scenario, output.id) if r.key == event.key]
    expect(len(rows) == 1, f"expected one {event.key} outbox row for {output.id!r}: {rows!r}")
    row = rows[0]
    stored = (row.id, row.key, row.version, row.occurred_at, row.actor_id, row.org_id)
    sent = (event.id, event.key, event.version, event.occurred_at, event.actor_id, event.org_id)
    expect(
        stored == sent,
        f"the outbox row of {output.id!r} differs from the event published:\n"
        f"  row:   {stored!r}\n  event: {sent!r}",
    )
    try:
        payload = json.loads(row.payload_json)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"the outbox payload of {row.id} is not JSON: {exc}") from None
    expect(
        canonical(payload) == canonical(wire(output)),
        f"the outbox payload of {row.id} is not the wire form of what the call returned:\n"
        f"  payload:  {canonical(payload)}\n  returned: {canonical(wire(output))}",
    )
    redelivered = envelope_from_outbox(row)
    expect(
        redelivered is not None and redelivered.payload == output,
        f"the outbox payload of {row.id} does not read back as the {type(output).__name__} "
        f"(what redelivery sends): {redelivered!r}",
    )


# -- Then: examples -----------------------------------------------------------------------------


def _output_keys(contract: OperationContract) -> frozenset[str]:
    """The wire keys of the contract's output model."""
    return frozenset(_camel(a.name) for a in attrs.fields(contract.io.output))


@_then(OUTPUT_STEP)
def the_output_matches(
    sync_scenario: SyncScenario,
    docstring: str | None = None,
    datatable: list[list[str]] | None = None,
) -> None:
    """Every key of the expected output, compared with the last operation's real output as JSON
    (so ``false`` is not ``0``); a pinned id (``id``, ``...Id``) is compared with the id the hub
    was told to give. The output has exactly the output model's keys, and an id the example
    does not list must be one the SDK drew (its prefix and 32 hex digits)."""
    expected = _mapping(docstring, datatable)
    expect(isinstance(expected, dict), f"the expected output must be a JSON object: {expected!r}")
    assert isinstance(expected, dict)
    call = sync_scenario.last_of(list(registry), "returned an output")
    contract = registry.get(call.operation or "")
    actual = wire(call.result)
    problems = _key_problems(actual, _output_keys(contract), "the output")
    expected = sync_scenario.translate(expected)
    assert isinstance(expected, dict)
    for key, value in expected.items():
        if key not in actual:
            problems.append(f"{key}: not in the output (its keys: {', '.join(actual)})")
        elif canonical(actual[key]) != canonical(value):
            problems.append(f"{key}: expected {canonical(value)}, got {canonical(actual[key])}")
    if "id" not in expected and "id" in actual:
        problems += _id_problems(sync_scenario, actual["id"], type(call.result))
    expect(not problems, "the output differs from the example:\n  " + "\n  ".join(problems))


def _auditing(sync_scenario: SyncScenario, audit_key: str) -> Call:
    """The last call of an operation whose contract declares ``audit_key``."""
    contracts = [c for c in registry if audit_key in c.side_effects.audit]
    return sync_scenario.last_of(contracts, f"audits {audit_key!r}")


@_then(parsers.parse(AUDIT_STEP))
def audit_record_is_written(sync_scenario: SyncScenario, audit_key: str) -> None:
    """The key is resolved against the contract of the operation that ran
    (``integration.sync.triggered``: ``integration.sync.trigger``). One audit record of that key
    for each entity the last call of that operation returned, by the caller, in the caller's
    org, naming the entity's event in the outbox (written in the same transaction)."""
    call = _auditing(sync_scenario, audit_key)
    caller = call.caller
    assert caller is not None
    log = sync_scenario.hub.audit_log(actor=caller)
    for output in call.outputs:
        records = [r for r in log if r.subject_id == output.id and r.key == audit_key]
        expect(
            len(records) == 1,
            f"expected one audit record {audit_key!r} for {output.id!r}, got "
            f"{len(records)} (the org's audit log: {log!r})",
        )
        record = records[0]
        expect(
            (record.actor_id, record.org_id) == (caller.id, caller.org_id),
            f"the audit record names {record.actor_id!r} in {record.org_id!r}, "
            f"the caller is {caller.id!r} in {caller.org_id!r}",
        )
        events = [e.id for e in _outbox_rows(sync_scenario, output.id)]
        expect(
            record.event_id in events,
            f"the audit record names event {record.event_id!r}; the outbox events of "
            f"{output.id!r}: {events}",
        )


@_then(NO_AUDIT_STEP)
def no_audit_record_is_written(sync_scenario: SyncScenario) -> None:
    """The last call wrote no audit record (in the orgs it could write to)."""
    call = sync_scenario.last
    now = sync_scenario.stored(call.caller)
    changed = {
        name: (call.stored_before.get(name), count)
        for name, count in now.items()
        if name.startswith("audit records") and call.stored_before.get(name) != count
    }
    expect(not changed, f"{call.action} wrote audit records: (before, after) {changed}")


# -- the integration hub's operations: Given -----------------------------------------------------


@_given("User is admin")
def user_is_admin(sync_scenario: SyncScenario) -> None:
    """The contract's own spelling of ``User is an admin``."""
    user_is_an_admin(sync_scenario)


@_given("the next calls are made by a user of another org")
def a_user_of_another_org_calls(sync_scenario: SyncScenario) -> None:
    """An authenticated user of an org that is not the acting user's makes the next calls."""
    sync_scenario.caller = sync_scenario.other_org_user()
    sync_scenario.caller_chosen = True


@contextmanager
def _as_the_user(sync_scenario: SyncScenario) -> Iterator[None]:
    """Calls made inside are made as the acting user; then the caller a Given step chose, else
    the acting user, makes the next calls (a contract's own Given, "Sync config exists", has no
    authentication line before it)."""
    chosen, caller = sync_scenario.caller_chosen, sync_scenario.caller
    sync_scenario.caller = sync_scenario.actor
    try:
        yield
    finally:
        sync_scenario.caller = caller if chosen else sync_scenario.actor


def _succeeded(call: Call) -> Any:
    expect(call.error is None, call.describe())
    return call.result


@_given("Sync config exists")
def sync_config_exists(sync_scenario: SyncScenario) -> None:
    """The acting user has a sync config, created from ``sync_config_input``."""
    with _as_the_user(sync_scenario):
        _succeeded(
            sync_scenario.create(dict(sync_scenario.default_input), action="Sync config exists")
        )


@_given(parsers.parse(CONFIG_EXISTS_STEP))
def the_sync_config_exists(sync_scenario: SyncScenario, config_id: str) -> None:
    """The acting user has a sync config of that id (pinned, as ``the next sync config id
    is``), created from ``sync_config_input``; inputs that name the id then name that config."""
    sync_scenario.ids.pin(config_id)
    action = CONFIG_EXISTS_STEP.format(config_id=config_id)
    with _as_the_user(sync_scenario):
        config = _succeeded(sync_scenario.create(dict(sync_scenario.default_input), action=action))
    actual = sync_scenario.ids.actual(config_id)
    expect(config.id == actual, f"{action}: the config got id {config.id!r}, not {actual!r}")


@_given("User has access to syncs")
def user_has_access_to_syncs(sync_scenario: SyncScenario) -> None:
    """The acting user has a sync config and has triggered one run of it, so that its runs
    can be listed."""
    sync_config_exists(sync_scenario)
    data = sync_scenario.default_input_of(TRIGGER_SYNC.key)
    with _as_the_user(sync_scenario):
        _succeeded(sync_scenario.run(TRIGGER_SYNC.key, data, action="User has access to syncs"))


@_given(parsers.re(r'the sync config "(?P<config_id>[^"]+)" has runs (?P<statuses>[A-Z, ]+)'))
def the_config_has_runs(sync_scenario: SyncScenario, config_id: str, statuses: str) -> None:
    """Triggers one run of the config per status, in order, each then set to its status in
    storage (the run engine's part, which this SDK does not have yet): ``COMPLETED, FAILED,
    PENDING``. Only the last may be active (PENDING or RUNNING). The config is created first
    (as by ``the sync config "<id>" exists``) unless a step made it already."""
    if config_id not in sync_scenario.ids.pins:
        the_sync_config_exists(sync_scenario, config_id)
    for status in (s.strip() for s in statuses.split(",")):
        expect(status in SyncStatus.__members__, f"{status!r} is not a SyncStatus")
        action = f"run {status} of {config_id}"
        with _as_the_user(sync_scenario):
            call = sync_scenario.run(TRIGGER_SYNC.key, {"syncConfigId": config_id}, action=action)
        run = _succeeded(call)
        if status != SyncStatus.PENDING:
            with sync_scenario.hub.storage.unit_of_work() as uow:
                changed = uow.table(SYNC_RUNS).update(
                    sync_scenario.actor.org_id, run.id, {"status": SyncStatus(status)}
                )
                uow.commit()
            expect(changed, f"{action}: run {run.id!r} is not in storage")


@_given("the hub has no secret key")
def the_hub_has_no_secret_key(sync_scenario: SyncScenario) -> None:
    """Later calls go to a hub on the same store without a key for credentials (neither
    ``secret_key=`` nor ``$SYNC_SDK_SECRET_KEY``)."""
    sync_scenario.use_hub(secret_key=False)


#: A doc string value that steps replace with :data:`_MARKING` (see below).
_MARKING = "(the marking expression)"


@_given("a transform expression that would write a file if evaluated as code")
def a_marking_expression(sync_scenario: SyncScenario) -> None:
    """A Python expression that creates a file in a new temporary directory when evaluated;
    a doc string value ``"(the marking expression)"`` is replaced with it."""
    directory = Path(tempfile.mkdtemp(prefix="sync_sdk_marker_"))
    sync_scenario.stack.callback(shutil.rmtree, directory, ignore_errors=True)
    marker = directory / "evaluated"
    sync_scenario.notes["marker"] = marker
    sync_scenario.notes[_MARKING] = f"__import__('pathlib').Path({str(marker)!r}).touch()"


def _input(
    sync_scenario: SyncScenario, docstring: str | None, datatable: list[list[str]] | None
) -> object:
    data = _mapping(docstring, datatable)
    if isinstance(data, dict):
        notes = sync_scenario.notes
        data = {k: notes.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    return data


# -- the integration hub's operations: When ------------------------------------------------------

_RUN = r'User runs "(?P<key>[^"]+)"'


@_when(parsers.re(_RUN + " with:?"))
def user_runs_with(
    sync_scenario: SyncScenario,
    key: str,
    docstring: str | None = None,
    datatable: list[list[str]] | None = None,
) -> None:
    """Runs the registered operation ``key`` (``SyncHub.execute``) with the doc string's or
    table's input, as the caller, with the idempotency key when it is a command."""
    sync_scenario.run(
        key, _input(sync_scenario, docstring, datatable), action=RUN_STEP.format(key=key)
    )


@_when(parsers.re(_RUN))
def user_runs(sync_scenario: SyncScenario, key: str) -> None:
    """Runs the operation with its default input (see :meth:`SyncScenario.default_input_of`)."""
    sync_scenario.run(key, sync_scenario.default_input_of(key), action=f'User runs "{key}"')


@_when(parsers.re(_RUN + " again"))
def user_runs_again(sync_scenario: SyncScenario, key: str) -> None:
    """Repeats the last call of the operation: the same input, the same idempotency key."""
    calls = sync_scenario.calls_of(key)
    expect(bool(calls), f"there is no earlier call of {key} to repeat")
    sync_scenario.run(key, calls[-1].input, action=f'User runs "{key}" again')


def _run_default(sync_scenario: SyncScenario, contract: OperationContract, action: str) -> None:
    sync_scenario.run(contract.key, sync_scenario.default_input_of(contract.key), action=action)


@_when("User defines new integration type")
def user_defines_new_integration_type(sync_scenario: SyncScenario) -> None:
    """Runs ``integration.create`` with its example's input."""
    _run_default(sync_scenario, CREATE_INTEGRATION, "User defines new integration type")


@_when("User creates connection with valid credentials")
def user_creates_connection(sync_scenario: SyncScenario) -> None:
    """Runs ``integration.connection.create`` with its example's input (with credentials)."""
    _run_default(sync_scenario, CREATE_CONNECTION, "User creates connection with valid credentials")


@_when("User adds field mapping")
def user_adds_field_mapping(sync_scenario: SyncScenario) -> None:
    """Runs ``integration.fieldMapping.add`` with its example's input, on the last config."""
    _run_default(sync_scenario, ADD_FIELD_MAPPING, "User adds field mapping")


@_when("User triggers sync")
def user_triggers_sync(sync_scenario: SyncScenario) -> None:
    """Runs ``integration.sync.trigger`` with its example's input, on the last config."""
    _run_default(sync_scenario, TRIGGER_SYNC, "User triggers sync")


@_when("User lists sync runs")
def user_lists_sync_runs(sync_scenario: SyncScenario) -> None:
    """Runs ``integration.syncRun.list`` with its example's input, on the last config."""
    _run_default(sync_scenario, LIST_SYNC_RUNS, "User lists sync runs")


# -- the integration hub's operations: Then ------------------------------------------------------


def _created(
    sync_scenario: SyncScenario, contract: OperationContract, expected: Mapping[str, object]
) -> tuple[Call, Any, Actor]:
    """Checks what the last call of ``contract`` returned: it is in storage as returned (read
    through a second connection where the store allows one), in the caller's org; its wire
    form has exactly the output model's keys, the input's values where it has the input's keys
    (``null``: absent), and ``expected``'s; an id the SDK drew has the entity's prefix; and the
    audit records about it are exactly the contract's audit keys, one each (none at all for a
    contract that declares none)."""
    call = sync_scenario.last_of([contract], "was made")
    caller = call.caller
    assert caller is not None
    output = call.result
    expect(
        isinstance(output, contract.io.output),
        f"{call.action} returned {output!r}, not a {contract.io.output.__name__}",
    )
    stored = sync_scenario.read_entity(output, caller)
    expect(
        stored == output,
        f"the stored {type(output).__name__} differs from the one returned "
        f"({sync_scenario.where()}, org {caller.org_id!r}):\n"
        f"  stored:   {stored!r}\n  returned: {output!r}",
    )
    actual = wire(output)
    sent = call.input if isinstance(call.input, Mapping) else {}
    want = {k: v for k, v in sent.items() if k in actual and v is not None} | dict(expected)
    problems = _key_problems(actual, _output_keys(contract), "the output")
    problems += [
        f"{key}: expected {canonical(value)}, got {canonical(actual[key])}"
        for key, value in want.items()
        if key in actual and canonical(actual[key]) != canonical(value)
    ]
    problems += _id_problems(sync_scenario, output.id, type(output))
    audited = sorted(r.key for r in sync_scenario.hub.audit_log(actor=caller, subject_id=output.id))
    declared = sorted(contract.side_effects.audit)
    if audited != declared:
        problems.append(
            f"audit records about it: {audited}; {contract.key} declares {declared or 'none'}"
        )
    expect(not problems, f"{call.action} returned {output.id!r}:\n  " + "\n  ".join(problems))
    return call, output, caller


@_then("Integration definition is created")
def integration_definition_is_created(sync_scenario: SyncScenario) -> None:
    """As ``Sync config is created``, for ``integration.create``: the integration is stored
    as returned, ``ACTIVE``, with the input's values, its one audit record written."""
    _created(sync_scenario, CREATE_INTEGRATION, {"status": "ACTIVE"})


@_then("Connection is created")
def connection_is_created(sync_scenario: SyncScenario) -> None:
    """The connection is stored as returned, ``PENDING``, with the input's values but its
    credentials; those are stored only encrypted (the stored value is not their JSON text) and
    ``connection_credentials`` returns them; they are in no output, event, audit record or
    outbox row."""
    call, connection, caller = _created(sync_scenario, CREATE_CONNECTION, {"status": "PENDING"})
    sent = call.input.get("credentials") if isinstance(call.input, Mapping) else None
    token = _stored_columns(sync_scenario, connection, caller).get("credentials")
    expect(
        (token is None) == (sent is None),
        f"credentials were {'not ' if sent is None else ''}given, and the stored value is "
        f"{'absent' if token is None else 'there'}",
    )
    _check_credentials_returned(sync_scenario, call, connection, caller)
    _check_no_leak(sync_scenario, call, connection, caller)


@_then("Mapping is added")
def mapping_is_added(sync_scenario: SyncScenario) -> None:
    """The mapping is stored as returned, with the input's values, and no audit record was
    written about it (the contract declares none); the config's ``fieldMappings`` are the
    mappings the scenario added to it, in the order they were added."""
    call, _, caller = _created(sync_scenario, ADD_FIELD_MAPPING, {})
    assert isinstance(call.input, Mapping)
    config_id = call.input["syncConfigId"]
    added: dict[str, Any] = {}
    for earlier in sync_scenario.calls_of(ADD_FIELD_MAPPING.key):
        if isinstance(earlier.input, Mapping) and earlier.input.get("syncConfigId") == config_id:
            added.update((m.id, m) for m in earlier.outputs)
    config = sync_scenario.hub.get_sync_config(config_id, actor=caller)
    expect(
        list(config.field_mappings) == list(added.values()),
        f"sync config {config_id!r} shows the mappings {config.field_mappings!r}; the scenario "
        f"added {list(added.values())!r}",
    )


_NEW_RUN: dict[str, object] = {
    "status": "PENDING",
    "trigger": "manual",
    "recordsProcessed": 0,
    "recordsCreated": 0,
    "recordsUpdated": 0,
    "recordsFailed": 0,
    "errorMessage": None,
    "startedAt": None,
    "completedAt": None,
}


@_then("Sync run starts")
def sync_run_starts(sync_scenario: SyncScenario) -> None:
    """The run is stored as returned: ``PENDING``, triggered ``"manual"``, zero counts, of the
    config the input names, in the input's direction or else the config's; its audit record
    ``integration.sync.triggered`` is written; it is the config's newest run."""
    call = sync_scenario.last_of([TRIGGER_SYNC], "was made")
    assert isinstance(call.input, Mapping) and call.caller is not None
    config = sync_scenario.hub.get_sync_config(call.input["syncConfigId"], actor=call.caller)
    expected = {
        **_NEW_RUN,
        "syncConfigId": config.id,
        "direction": call.input.get("direction") or config.direction.value,
    }
    _, run, caller = _created(sync_scenario, TRIGGER_SYNC, expected)
    newest = sync_scenario.hub.list_sync_runs(sync_config_id=config.id, limit=1, actor=caller)
    expect(
        list(newest.items) == [run],
        f"the newest run of {config.id!r} is {list(newest.items)!r}, not {run.id!r}",
    )


def _runs_of(sync_scenario: SyncScenario, config_id: object) -> list[Any]:
    """The runs the scenario triggered on the config, newest first, as storage has them now."""
    runs: dict[str, Any] = {}
    for call in sync_scenario.calls_of(TRIGGER_SYNC.key):
        if isinstance(call.input, Mapping) and call.input.get("syncConfigId") == config_id:
            runs.update((run.id, run) for run in call.outputs)
    hub, actor = sync_scenario.hub, sync_scenario.actor
    return [hub.get_sync_run(run_id, actor=actor) for run_id in reversed(runs)]


def _listing(sync_scenario: SyncScenario) -> tuple[Call, Page[Any]]:
    call = sync_scenario.last_of([LIST_SYNC_RUNS], "was made")
    expect(isinstance(call.result, Page), f"{call.action} returned {call.result!r}, not a Page")
    return call, call.result


def _check_listing(call: Call, page: Page[Any], runs: list[Any], total: int) -> None:
    sent = call.input if isinstance(call.input, Mapping) else {}
    problems = []
    if list(page.items) != runs:
        problems.append(f"runs: expected {[r.id for r in runs]}, got {[r.id for r in page.items]}")
    if page.total != total:
        problems.append(f"total: expected {total}, got {page.total}")
    limit, offset = sent.get("limit", 20), sent.get("offset", 0)
    if (page.limit, page.offset) != (limit, offset):
        problems.append(
            f"(limit, offset): expected {(limit, offset)}, got {(page.limit, page.offset)}"
        )
    expected_wire = {"runs": [wire(r) for r in runs], "total": total}
    if canonical(wire(page)) != canonical(expected_wire):
        problems.append(
            f"wire form: expected {canonical(expected_wire)}, got {canonical(wire(page))}"
        )
    expect(not problems, f"{call.action} returned a page that differs:\n  " + "\n  ".join(problems))


@_then("List of runs is returned")
def list_of_runs_is_returned(sync_scenario: SyncScenario) -> None:
    """The listing holds the runs the scenario triggered on the config the input names, as
    storage has them, newest first, with the input's ``status`` filter, ``limit`` (20) and
    ``offset`` (0); ``total`` counts the filter's runs; its wire form is the contract's
    ``{"runs": [...], "total": n}``. A query: it wrote and published nothing."""
    call, page = _listing(sync_scenario)
    assert isinstance(call.input, Mapping)
    runs = _runs_of(sync_scenario, call.input.get("syncConfigId"))
    status = call.input.get("status")
    if status is not None:
        runs = [r for r in runs if r.status == status]
    offset, limit = call.input.get("offset", 0), call.input.get("limit", 20)
    _check_listing(call, page, runs[offset : offset + limit], len(runs))
    nothing_is_stored(sync_scenario)
    no_event_is_emitted(sync_scenario)


@_then(parsers.re(r"the page lists runs (?P<numbers>[\d, ]+|none), of (?P<total>\d+) in total"))
def the_page_lists_runs(sync_scenario: SyncScenario, numbers: str, total: str) -> None:
    """The last listing holds those of the config's runs, by the order they were triggered
    (from 1), in that order (``3, 1``; ``none``), and ``total``."""
    call, page = _listing(sync_scenario)
    assert isinstance(call.input, Mapping)
    oldest_first = list(reversed(_runs_of(sync_scenario, call.input.get("syncConfigId"))))
    picked = [] if numbers == "none" else [int(n) for n in numbers.split(",")]
    expect(
        all(1 <= n <= len(oldest_first) for n in picked),
        f"the scenario triggered {len(oldest_first)} runs: {numbers}",
    )
    _check_listing(call, page, [oldest_first[n - 1] for n in picked], int(total))


@_then("the error names the active run")
def the_error_names_the_active_run(sync_scenario: SyncScenario) -> None:
    """The last call's error names the run that is active on its config: the last run the
    scenario triggered there."""
    call = sync_scenario.last
    expect(call.error is not None, f"expected an error: {call.describe()}")
    assert isinstance(call.input, Mapping)
    runs = _runs_of(sync_scenario, call.input.get("syncConfigId"))
    expect(bool(runs), "the scenario triggered no run of that config")
    expect(
        runs[0].id in str(call.error), f"the error does not name run {runs[0].id!r}: {call.error}"
    )


@_then(parsers.re(r'both calls of "(?P<key>[^"]+)" return the same output'))
def both_calls_return_the_same_output(sync_scenario: SyncScenario, key: str) -> None:
    calls = sync_scenario.calls_of(key)
    expect(len(calls) >= 2, f"expected two calls of {key}, got {len(calls)}")
    for call in calls[-2:]:
        expect(call.error is None, call.describe())
    first, second = calls[-2].result, calls[-1].result
    expect(first == second, f"the calls returned different outputs:\n  {first!r}\n  {second!r}")


@_when("a user of another org reads the credentials")
def another_org_reads_the_credentials(sync_scenario: SyncScenario) -> None:
    """``connection_credentials`` of the last connection created, as a user of another org."""
    connection = sync_scenario.last_of([CREATE_CONNECTION], "was made").result
    other = sync_scenario.other_org_user()
    action = "a user of another org reads the credentials"
    call = Call(
        action,
        other,
        connection.id,
        events_before=len(sync_scenario.events.events),
        stored_before=sync_scenario.stored(other),
    )
    try:
        call.result = sync_scenario.hub.connection_credentials(connection.id, actor=other)
    except errors.SyncSdkError as err:
        call.error = err
    sync_scenario.calls.append(call)


@_then("the expression was never evaluated as code")
def the_expression_was_never_evaluated(sync_scenario: SyncScenario) -> None:
    marker = sync_scenario.notes.get("marker")
    expect(isinstance(marker, Path), "no marking expression: Given a transform expression ...")
    assert isinstance(marker, Path)
    expect(not marker.exists(), f"the expression was evaluated: it created {marker}")


def _stored_columns(sync_scenario: SyncScenario, connection: Any, caller: Actor) -> dict[str, Any]:
    """Every column of the connection's stored row (its extra ones too), read through the
    recorder's store."""
    with sync_scenario.reader.unit_of_work(write=False) as uow:
        table = uow.table(CONNECTIONS)
        return {
            c.name: table.value(caller.org_id, connection.id, c.name) for c in CONNECTIONS.columns
        }


def _secrets(credentials: object) -> list[str]:
    """What must never be seen in clear: the credentials' JSON text, and each of their string
    values of 8 characters or more (shorter ones could be a coincidence in a random token)."""
    texts = [json.dumps(credentials), json.dumps(credentials, separators=(",", ":"))]

    def leaves(value: object) -> None:
        if isinstance(value, str) and len(value) >= 8:
            texts.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                leaves(item)
        elif isinstance(value, list | tuple):
            for item in value:
                leaves(item)

    leaves(credentials)
    return texts


def _check_credentials_returned(
    sync_scenario: SyncScenario, call: Call, connection: Any, caller: Actor
) -> None:
    sent = call.input.get("credentials") if isinstance(call.input, Mapping) else None
    got = sync_scenario.hub.connection_credentials(connection.id, actor=caller)
    expect(
        canonical(got) == canonical(sent),
        f"connection_credentials returned {'nothing' if got is None else 'other credentials'}"
        f" for {connection.id!r}",  # never the credentials themselves, in a test log either
    )


def _check_no_leak(sync_scenario: SyncScenario, call: Call, connection: Any, caller: Actor) -> None:
    sent = call.input.get("credentials") if isinstance(call.input, Mapping) else None
    if sent is None:
        return
    secrets = _secrets(sent)
    surfaces: dict[str, str] = {
        "the output": canonical(wire(connection)) + repr(connection),
        "the call's result": repr(call.result),
    }
    for published in sync_scenario.events.events:
        if published.event.payload.id == connection.id:
            surfaces[f"event {published.event.key}"] = canonical(published.event.to_dict()) + repr(
                published.event
            )
    for record in sync_scenario.hub.audit_log(actor=caller, subject_id=connection.id):
        surfaces[f"audit record {record.key}"] = repr(record)
    for row in _outbox_rows(sync_scenario, connection.id):
        surfaces[f"outbox row {row.key}"] = repr(row) + row.payload_json
    for name, value in _stored_columns(sync_scenario, connection, caller).items():
        surfaces[f"stored column {name}"] = str(value)
    path = _database_file(sync_scenario.url)
    if path is not None:
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                surfaces[f"the database file {file.name}"] = file.read_bytes().decode("latin-1")
    leaks = sorted({where for where, text in surfaces.items() for s in secrets if s in text})
    expect(not leaks, f"the credentials of {connection.id!r} are in clear text in: {leaks}")
    expect(
        len(surfaces) >= 5,
        f"expected an event, an audit record and an outbox row: {surfaces.keys()}",
    )


def _database_file(url: str) -> Path | None:
    """The SQLite file of ``url``, or None (another kind of store)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :].partition("?")[0]
    return Path(path) if path and path != ":memory:" else None


#: Where a connection's credentials must never be in clear text.
_NOWHERE = (
    "the credentials are in clear text in none of the output, the event, the audit record, "
    "the outbox row and the stored row"
)


@_then(_NOWHERE)
def the_credentials_are_nowhere(sync_scenario: SyncScenario) -> None:
    """No surface of the last connection created holds its credentials (their JSON text, or
    a string value of 8 characters or more): the output (and its ``repr``), its events (wire
    form and ``repr``), its audit records, its outbox rows, each column of its stored row,
    and, on a SQLite file, the database file's bytes."""
    call = sync_scenario.last_of([CREATE_CONNECTION], "was made")
    assert call.caller is not None
    sent = call.input.get("credentials") if isinstance(call.input, Mapping) else None
    expect(sent is not None, f"{call.action} gave no credentials")
    _check_no_leak(sync_scenario, call, call.result, call.caller)


@_then("connection_credentials returns the credentials")
def connection_credentials_returns_them(sync_scenario: SyncScenario) -> None:
    """``hub.connection_credentials`` decrypts the last connection's credentials for its org,
    as they were given."""
    call = sync_scenario.last_of([CREATE_CONNECTION], "was made")
    assert call.caller is not None
    _check_credentials_returned(sync_scenario, call, call.result, call.caller)


# -- Then: failures -----------------------------------------------------------------------------


@_then(parsers.re(r"the call fails with (?P<error>[A-Za-z_]\w*)"))
def the_call_fails_with(sync_scenario: SyncScenario, error: str) -> None:
    """The last call raised that ``sync_sdk.errors`` type, with the code and status the README
    documents for it (:data:`PROBLEMS`) in its attributes and its problem details, and an
    instance of the builtin it is documented to subclass (``ValidationError``: ``ValueError``)."""
    expected = getattr(errors, error, None) or getattr(credentials, error, None)
    expect(
        isinstance(expected, type) and issubclass(expected, errors.SyncSdkError),
        f"{error!r} is not an error of sync_sdk.errors or sync_sdk.credentials",
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
    """No config, audit record, outbox event, integration, connection, field mapping, sync run
    or idempotency key was written by the last call (in a shared store: none in the orgs that
    call could have written to)."""
    call = sync_scenario.last
    now = sync_scenario.stored(call.caller)
    changed = {
        name: (call.stored_before.get(name), count)
        for name, count in now.items()
        if call.stored_before.get(name) != count
    }
    expect(
        not changed,
        f"{call.action} wrote to storage {sync_scenario.where()}: (before, after) {changed}",
    )


@_then(NO_EVENT_STEP)
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
