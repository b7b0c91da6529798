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
from collections.abc import Callable
from typing import ParamSpec, TypeVar

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
from sync_sdk.models import SyncConfig
from sync_sdk.records import Actor
from sync_sdk.testing.harness import (
    EventRecorder,
    FailingSubscriber,
    PublishedEvent,
    SyncScenario,
    canonical,
    expect,
    wire,
)
from sync_sdk.validation import validate_create_input

__all__: list[str] = []

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


@_when(parsers.re(_CREATE + r" with (?P<field>\S+) set to (?P<value>.+)"))
def user_creates_sync_config_with_field(
    sync_scenario: SyncScenario, field: str, value: str
) -> None:
    data: dict[str, object] = dict(sync_scenario.default_input)
    if value.strip() == _MISSING:
        data.pop(field, None)
    else:
        try:
            data[field] = json.loads(value)
        except json.JSONDecodeError:
            raise AssertionError(f"{value!r} is neither JSON nor {_MISSING}") from None
    sync_scenario.create(data)


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
    """The config returned is in storage, as returned (read through a new connection where the
    store allows one), in the caller's org, and carries the input it was created from."""
    config, caller = sync_scenario.created()
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
    sent = sync_scenario.creates()[-1].input
    value = validate_create_input(sent)
    for name in attrs.fields_dict(type(value)):
        expect(
            getattr(config, name) == getattr(value, name),
            f"the config's {name} is {getattr(config, name)!r}, the input said "
            f"{getattr(value, name)!r}",
        )


@_then(parsers.re(EVENT_STEP.format(event_name=r"(?P<event_name>[A-Z]\w*)")))
def event_is_emitted(sync_scenario: SyncScenario, event_name: str) -> None:
    """Exactly one event of that key and declared version per config created, published after
    the commit, its payload the created config, its actor and org the caller's."""
    declared = _declared_event(event_name)
    config, caller = sync_scenario.created()
    published = sync_scenario.events.of(declared.key)
    for_config = [p for p in published if p.event.payload.id == config.id]
    expect(
        len(for_config) == 1,
        f"expected exactly one {declared.key} event for sync config {config.id!r}, "
        f"got {len(for_config)} (of {len(published)} {declared.key} events in the scenario)",
    )
    created = sync_scenario.created_ids()
    expect(
        len(published) == len(created),
        f"{len(published)} {declared.key} events were published for {len(created)} "
        f"sync config(s) created: {[p.event.payload.id for p in published]}",
    )
    _check_event(for_config[0], declared, config, caller)


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


# -- Then: examples -----------------------------------------------------------------------------


@_then(OUTPUT_STEP)
def the_output_matches(
    sync_scenario: SyncScenario,
    docstring: str | None = None,
    datatable: list[list[str]] | None = None,
) -> None:
    """Every key of the expected output, compared with the real output as JSON (so ``false``
    is not ``0``); a pinned id is compared with the id the hub was told to give."""
    expected = _mapping(docstring, datatable)
    expect(isinstance(expected, dict), f"the expected output must be a JSON object: {expected!r}")
    assert isinstance(expected, dict)
    config, _ = sync_scenario.created()
    actual = wire(config)
    problems = []
    for key, value in expected.items():
        if key == "id" and isinstance(value, str):
            value = sync_scenario.ids.pins.get(value, value)
        if key not in actual:
            problems.append(f"{key}: not in the output (its keys: {', '.join(actual)})")
        elif canonical(actual[key]) != canonical(value):
            problems.append(f"{key}: expected {canonical(value)}, got {canonical(actual[key])}")
    expect(not problems, "the output differs from the example:\n  " + "\n  ".join(problems))


@_then(parsers.parse(AUDIT_STEP))
def audit_record_is_written(sync_scenario: SyncScenario, audit_key: str) -> None:
    """One audit record of that key for the created config, by the caller, in the caller's org,
    naming the config's event in the outbox (written in the same transaction)."""
    config, caller = sync_scenario.created()
    hub = sync_scenario.hub
    log = hub.audit_log(actor=caller)
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
    with hub.storage.unit_of_work(write=False) as uow:
        outbox = [e.id for e in uow.outbox.list() if e.subject_id == config.id]
    expect(
        record.event_id in outbox,
        f"the audit record names event {record.event_id!r}; the config's outbox events: {outbox}",
    )


# -- Then: failures -----------------------------------------------------------------------------


@_then(parsers.parse("the call fails with {error}"))
def the_call_fails_with(sync_scenario: SyncScenario, error: str) -> None:
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
    issues = _issues(sync_scenario)
    expect((path, code) in issues, f"no issue {code!r} at {path!r}; issues: {issues}")


@_then("the issues are:")
def the_issues_are(sync_scenario: SyncScenario, datatable: list[list[str]]) -> None:
    """Exactly these (path, code) issues, in any order; the table's header is path | code."""
    expect(datatable[:1] == [["path", "code"]], "the table's header must be: | path | code |")
    expected = sorted((row[0], row[1]) for row in datatable[1:])
    actual = sorted(_issues(sync_scenario))
    expect(actual == expected, f"issues differ:\n  expected: {expected}\n  actual:   {actual}")


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
