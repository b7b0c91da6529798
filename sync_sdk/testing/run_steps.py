"""The step library's phrases of the run lifecycle: time, engines, workers, schedules, cancel
and pause.

Loaded with :mod:`sync_sdk.testing.steps` (which lists this module in its ``pytest_plugins``),
so a project's ``pytest_plugins = ["sync_sdk.testing.steps"]`` has these phrases too. They drive
the real worker (:meth:`SyncHub.run_pending <sync_sdk.SyncHub.run_pending>`) and scheduler
(:meth:`SyncHub.schedule_due <sync_sdk.SyncHub.schedule_due>`) on the scenario's store, with
time read from a clock the scenario sets and moves (``Given the time is
"2026-01-01T12:00:00Z"``, ``When 5 minutes pass``), and check what they did against the store,
the audit log and the events::

    Given the time is "2026-01-01T12:00:00Z"
    And A sync run is pending
    And the engine fails with "RuntimeError: boom"
    When a worker runs the pending syncs
    Then the sync run has FAILED with the error "RuntimeError: boom"
    And SyncFailed event is sent for the sync run by the worker

"The sync run" is the last run the scenario made: triggered by its calls, or created by the
scheduler for one of its configs. A worker is store-wide: on a shared store it also runs the
runs other scenarios left PENDING, which the scenario's engine completes with no records.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_bdd import parsers

from sync_sdk import errors
from sync_sdk.contracts import (
    CANCEL_SYNC_RUN,
    RUN_EVENTS,
    TRIGGER_SYNC,
    UPDATE_SYNC_CONFIG,
)
from sync_sdk.contracts.gherkin import RUN_EXISTS_STEP, RUN_OF_CONFIG_EXISTS_STEP, event_phrase_name
from sync_sdk.contracts.spec import EmittedEvent
from sync_sdk.engine import MappingEngine, RunContext, SyncResult
from sync_sdk.models import SyncConfig, SyncRun, SyncStatus
from sync_sdk.operations.tables import SCHEDULES, SYNC_RUNS
from sync_sdk.records import Actor
from sync_sdk.testing.harness import Call, ScenarioClock, SyncScenario, canonical, expect, wire
from sync_sdk.testing.steps import (
    _as_the_user,
    _check_outbox_row,
    _check_wire_form,
    _given,
    _mapping,
    _succeeded,
    _then,
    _when,
    no_event_is_emitted,
    nothing_is_stored,
    sync_config_exists,
    the_call_fails_with,
    the_sync_config_exists,
)
from sync_sdk.worker import LOST_WORKER

__all__: list[str] = []

#: Who a worker's and a scheduler's events and audit records are by (in the run's org).
WORKER_ID = "sync_sdk:worker"
SCHEDULER_ID = "sync_sdk:scheduler"

_WORKER = "a worker runs the pending syncs"
_SCHEDULER = "the scheduler runs"
#: How long a step waits for a worker in another thread (never reached when things work).
_PATIENCE = 30.0
#: Worker passes in one step, at most (each runs up to 100 runs; a shared store may hold many).
_MAX_PASSES = 1000


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AssertionError(f"{text!r} is not an ISO 8601 time") from None
    expect(moment.utcoffset() is not None, f"{text!r} has no time zone: end it with Z")
    return moment.astimezone(UTC)


# -- time ---------------------------------------------------------------------------------------


@_given(parsers.parse('the time is "{moment}"'))
def the_time_is(sync_scenario: SyncScenario, moment: str) -> None:
    """From now on the hub's clock reads that time, and stands still until moved (the first
    time: later calls go to a hub on the same store with that clock)."""
    at = _moment(moment)
    if sync_scenario.clock is None:
        sync_scenario.clock = ScenarioClock(at)
        sync_scenario.use_hub()
    else:
        sync_scenario.clock.now = at


_UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days"}
_PASS = parsers.re(r"(?P<count>\d+) (?P<unit>second|minute|hour|day)s? pass(?:es)?")


@_given(_PASS)
@_when(_PASS)
def time_passes(sync_scenario: SyncScenario, count: str, unit: str) -> None:
    """Moves the scenario's clock forward."""
    _clock(sync_scenario).advance(timedelta(**{_UNITS[unit]: int(count)}))


def _clock(sync_scenario: SyncScenario) -> ScenarioClock:
    clock = sync_scenario.clock
    expect(clock is not None, 'this step needs the scenario\'s clock: Given the time is "..."')
    assert clock is not None
    return clock


def _now(sync_scenario: SyncScenario) -> datetime | None:
    return None if sync_scenario.clock is None else sync_scenario.clock()


# -- the runs the scenario made -----------------------------------------------------------------


def _runs_made(sync_scenario: SyncScenario) -> list[SyncRun]:
    """Every run the scenario made, in order: those its calls of ``integration.sync.trigger``
    returned, and those the scheduler created for its configs."""
    own = sync_scenario.created_ids()
    runs: list[SyncRun] = []
    for call in sync_scenario.calls:
        if call.operation == TRIGGER_SYNC.key:
            runs += call.outputs
        elif call.action == _SCHEDULER:
            runs += [r for r in call.outputs if r.sync_config_id in own]
    return runs


def _stored_run(sync_scenario: SyncScenario, run_id: str) -> SyncRun:
    """The run as storage holds it now, read as the acting user."""
    try:
        return sync_scenario.hub.get_sync_run(run_id, actor=sync_scenario.actor)
    except errors.NotFound:
        raise AssertionError(
            f"sync run {run_id!r} is not in storage {sync_scenario.where()}"
        ) from None


def _the_run(sync_scenario: SyncScenario) -> SyncRun:
    """The last run the scenario made, as stored now."""
    runs = _runs_made(sync_scenario)
    expect(bool(runs), "the scenario made no sync run: Given A sync run is pending")
    return _stored_run(sync_scenario, runs[-1].id)


def _column(sync_scenario: SyncScenario, run_id: str, name: str) -> Any:
    """A column of the run's stored row that the model does not show (``lease_until``,
    ``cancel_requested``, ``scheduled_for``), read through the recorder's store."""
    with sync_scenario.reader.unit_of_work(write=False) as uow:
        return uow.table(SYNC_RUNS).value(sync_scenario.actor.org_id, run_id, name)


def _the_config(sync_scenario: SyncScenario) -> SyncConfig:
    configs = sync_scenario.all_created()
    expect(bool(configs), "the scenario created no sync config: Given Sync config exists")
    return sync_scenario.hub.get_sync_config(configs[-1].id, actor=sync_scenario.actor)


def _trigger(sync_scenario: SyncScenario, config_id: str, action: str) -> SyncRun:
    with _as_the_user(sync_scenario):
        call = sync_scenario.run(TRIGGER_SYNC.key, {"syncConfigId": config_id}, action=action)
    run: SyncRun = _succeeded(call)
    expect(run.status is SyncStatus.PENDING, f"{action}: the new run is {run.status}")
    return run


# -- engines and workers ------------------------------------------------------------------------


class _WorkerDied(BaseException):
    """Raised by an engine to stop its worker dead, as a killed process would: not an
    ``Exception``, so the worker does not record it as the run's failure."""


class _Engine:
    """The scenario's engine. For the runs the scenario made it does what a Given step said
    (by default: complete, with no records); any other run (another scenario's, on a shared
    store) it completes with no records."""

    def __init__(self) -> None:
        self.behaviour: Any = lambda context: SyncResult()
        self.own: frozenset[str] = frozenset()
        self.contexts: list[RunContext] = []
        self.written: list[dict[str, Any]] = []
        #: set once the engine is in the middle of a run that waits to be cancelled
        self.started = threading.Event()
        #: set to stop a waiting engine (the scenario ends)
        self.abort = threading.Event()
        self.saw_cancel = False

    def __call__(self, context: RunContext) -> SyncResult:
        if context.run.id not in self.own:
            return SyncResult()
        self.contexts.append(context)
        result: SyncResult = self.behaviour(context)
        return result

    def write(self, record: dict[str, Any], context: RunContext) -> str:
        """MappingEngine's writer: keeps each target record."""
        self.written.append(record)
        return "created"

    def wait_for_cancel(self, processed: int) -> Any:
        def engine(context: RunContext) -> SyncResult:
            self.started.set()
            deadline = time.monotonic() + _PATIENCE
            while not self.abort.is_set() and time.monotonic() < deadline:
                if context.is_cancelled():
                    self.saw_cancel = True
                    break
                time.sleep(0.005)
            # never cancelled: the run completes, and the steps that check it say so
            return SyncResult(records_processed=processed, records_created=processed)

        return engine


def _engine(sync_scenario: SyncScenario) -> _Engine:
    engine = sync_scenario.notes.get("engine")
    if engine is None:
        engine = sync_scenario.notes["engine"] = _Engine()
    assert isinstance(engine, _Engine)
    return engine


def _worker_call(sync_scenario: SyncScenario, action: str) -> Call:
    """A worker pass, not yet recorded: the scenario's engine knows its runs."""
    engine = _engine(sync_scenario)
    engine.own = frozenset(r.id for r in _runs_made(sync_scenario))
    return Call(
        action,
        None,
        events_before=len(sync_scenario.events.events),
        stored_before=sync_scenario.stored(None),
        result=[],
    )


def _work(sync_scenario: SyncScenario, call: Call) -> None:
    """``run_pending`` until it finds nothing more to do; what it finished is the call's
    result, a failure of the hub its error."""
    finished: list[SyncRun] = call.result
    try:
        for _ in range(_MAX_PASSES):
            done = sync_scenario.hub.run_pending(_engine(sync_scenario), limit=100)
            if not done:
                break
            finished.extend(done)
    except errors.SyncSdkError as err:
        call.error = err


@_given("the engine completes with no records")
def the_engine_completes_empty(sync_scenario: SyncScenario) -> None:
    _engine(sync_scenario).behaviour = lambda context: SyncResult()


@_given(parsers.parse("the engine completes with {processed:d} records processed"))
def the_engine_completes_with(sync_scenario: SyncScenario, processed: int) -> None:
    """Each of the scenario's runs processes and creates that many records."""
    result = SyncResult(records_processed=processed, records_created=processed)
    _engine(sync_scenario).behaviour = lambda context: result


@_given(
    parsers.parse(
        "the engine completes with {processed:d} records processed, {created:d} created, "
        "{updated:d} updated and {failed:d} failed"
    )
)
def the_engine_completes_with_counts(
    sync_scenario: SyncScenario, processed: int, created: int, updated: int, failed: int
) -> None:
    result = SyncResult(
        records_processed=processed,
        records_created=created,
        records_updated=updated,
        records_failed=failed,
    )
    _engine(sync_scenario).behaviour = lambda context: result


@_given(parsers.re(r'the engine fails with "(?P<kind>[A-Za-z_]\w*): (?P<text>[^"]*)"'))
def the_engine_fails_with(sync_scenario: SyncScenario, kind: str, text: str) -> None:
    """The engine raises that builtin exception with that text (``RuntimeError: boom``)."""
    error = getattr(builtins, kind, None)
    expect(
        isinstance(error, type) and issubclass(error, Exception),
        f"{kind!r} is not a builtin exception",
    )
    assert isinstance(error, type)

    def engine(context: RunContext) -> SyncResult:
        raise error(text)

    _engine(sync_scenario).behaviour = engine


@_given("the engine maps these records:")
def the_engine_maps(sync_scenario: SyncScenario, docstring: str) -> None:
    """A :class:`~sync_sdk.engine.MappingEngine` over the doc string's source records (a JSON
    list), mapped with the run's field mappings; its writer keeps each target record."""
    records = _mapping(docstring, None)
    expect(isinstance(records, list), f"the records must be a JSON list: {records!r}")
    assert isinstance(records, list)
    engine = _engine(sync_scenario)
    engine.behaviour = MappingEngine(lambda context: list(records), engine.write)


@_given(parsers.parse("the engine processes {processed:d} records, then waits to be cancelled"))
def the_engine_waits(sync_scenario: SyncScenario, processed: int) -> None:
    """The engine processes (and creates) that many records, then checks ``is_cancelled()``
    until it says so, and stops."""
    engine = _engine(sync_scenario)
    engine.behaviour = engine.wait_for_cancel(processed)


@_given("a worker is running the sync run")
def a_worker_is_running(sync_scenario: SyncScenario) -> None:
    """A worker in another thread claims the run and calls the engine, which waits to be
    cancelled (``the engine processes ... then waits to be cancelled``); this step returns once
    the engine is in the middle of the run. ``When the worker finishes`` waits for it."""
    engine = _engine(sync_scenario)
    call = _worker_call(sync_scenario, "the worker finishes")
    thread = threading.Thread(target=_work, args=(sync_scenario, call), daemon=True)
    thread.start()

    def stop() -> None:  # the scenario ends (or failed) before the worker did
        engine.abort.set()
        thread.join(_PATIENCE)

    sync_scenario.stack.callback(stop)
    sync_scenario.notes["worker"] = (thread, call)
    expect(
        engine.started.wait(_PATIENCE),
        "the worker never started the run: Given the engine processes ... then waits to be "
        f"cancelled (worker: {call.describe()})",
    )


@_when("the worker finishes")
def the_worker_finishes(sync_scenario: SyncScenario) -> None:
    thread, call = sync_scenario.notes.get("worker", (None, None))
    expect(thread is not None, "no worker is running: Given a worker is running the sync run")
    thread.join(_PATIENCE)
    expect(not thread.is_alive(), f"the worker did not finish within {_PATIENCE} s")
    sync_scenario.calls.append(call)


@_given("a worker dies while it runs the sync run")
def a_worker_dies(sync_scenario: SyncScenario) -> None:
    """A worker claims the run and stops dead in its engine, as a killed process would: the
    run stays RUNNING, under the lease the worker took."""
    engine = _engine(sync_scenario)

    def die(context: RunContext) -> SyncResult:
        raise _WorkerDied

    behaviour, engine.behaviour = engine.behaviour, die
    call = _worker_call(sync_scenario, "a worker dies while it runs the sync run")
    try:
        _work(sync_scenario, call)
    except _WorkerDied:
        pass
    else:
        raise AssertionError(f"the worker never ran the sync run: {call.describe()}")
    finally:
        engine.behaviour = behaviour
    run = _the_run(sync_scenario)
    expect(run.status is SyncStatus.RUNNING, f"the run the worker died in is {run.status}")


@_when(_WORKER)
def a_worker_runs_the_pending_syncs(sync_scenario: SyncScenario) -> None:
    """``hub.run_pending`` with the scenario's engine, until it finds nothing more to do."""
    call = _worker_call(sync_scenario, _WORKER)
    _work(sync_scenario, call)
    sync_scenario.calls.append(call)


@_when(_SCHEDULER)
def the_scheduler_runs(sync_scenario: SyncScenario) -> None:
    """``hub.schedule_due()``, at the hub's clock."""
    call = Call(
        _SCHEDULER,
        None,
        events_before=len(sync_scenario.events.events),
        stored_before=sync_scenario.stored(None),
    )
    try:
        call.result = sync_scenario.hub.schedule_due()
    except errors.SyncSdkError as err:
        call.error = err
    sync_scenario.calls.append(call)


# -- Given: runs and configs --------------------------------------------------------------------


@_given("A sync run is pending")
def a_sync_run_is_pending(sync_scenario: SyncScenario) -> None:
    """The acting user triggers a run of the last config the scenario created (creating one
    from ``sync_config_input`` when there is none): PENDING."""
    if not sync_scenario.all_created():
        sync_config_exists(sync_scenario)
    _trigger(sync_scenario, sync_scenario.all_created()[-1].id, "A sync run is pending")


@_given("A sync run has completed")
def a_sync_run_has_completed(sync_scenario: SyncScenario) -> None:
    """``A sync run is pending``, then a worker runs it with the scenario's engine: COMPLETED."""
    a_sync_run_is_pending(sync_scenario)
    call = _worker_call(sync_scenario, "A sync run has completed")
    _work(sync_scenario, call)
    sync_scenario.calls.append(call)
    run = _the_run(sync_scenario)
    expect(
        run.status is SyncStatus.COMPLETED,
        f"the run did not complete: {run!r} ({call.describe()})",
    )


@_given(parsers.parse(RUN_OF_CONFIG_EXISTS_STEP))
def the_run_of_config_exists(sync_scenario: SyncScenario, run_id: str, config_id: str) -> None:
    """The acting user has the config of that id (created first, as by ``the sync config
    "<id>" exists``, unless a step did) and triggers a run of it, the run's id pinned: PENDING.
    Inputs that name the run's id then name that run."""
    if config_id not in sync_scenario.ids.pins:
        the_sync_config_exists(sync_scenario, config_id)
    _pinned_run(sync_scenario, run_id, str(sync_scenario.ids.actual(config_id)))


@_given(parsers.parse(RUN_EXISTS_STEP))
def the_run_exists(sync_scenario: SyncScenario, run_id: str) -> None:
    """As above, of a new config created from ``sync_config_input``."""
    sync_config_exists(sync_scenario)
    _pinned_run(sync_scenario, run_id, sync_scenario.all_created()[-1].id)


def _pinned_run(sync_scenario: SyncScenario, run_id: str, config_id: str) -> None:
    sync_scenario.ids.pin(run_id, "run_")
    action = RUN_OF_CONFIG_EXISTS_STEP.format(run_id=run_id, config_id=config_id)
    run = _trigger(sync_scenario, config_id, action)
    actual = sync_scenario.ids.actual(run_id)
    expect(run.id == actual, f"{action}: the run got id {run.id!r}, not {actual!r}")


@_given(parsers.parse('a sync config scheduled "{cron}" exists'))
def a_scheduled_config_exists(sync_scenario: SyncScenario, cron: str) -> None:
    """The acting user creates a config from ``sync_config_input`` with that schedule."""
    data = {**sync_scenario.default_input, "scheduleEnabled": True, "scheduleCron": cron}
    with _as_the_user(sync_scenario):
        _succeeded(sync_scenario.create(data, action=f'a sync config scheduled "{cron}" exists'))


# -- When: the contracts' phrases ---------------------------------------------------------------


@_when("User cancels the sync run")
def user_cancels_the_sync_run(sync_scenario: SyncScenario) -> None:
    """Runs ``integration.syncRun.cancel`` on the last run the scenario made."""
    runs = _runs_made(sync_scenario)
    expect(bool(runs), "the scenario made no sync run: Given A sync run is pending")
    sync_scenario.run(
        CANCEL_SYNC_RUN.key, {"syncRunId": runs[-1].id}, action="User cancels the sync run"
    )


def _update(sync_scenario: SyncScenario, changes: Mapping[str, object], action: str) -> None:
    config = _the_config(sync_scenario)
    sync_scenario.run(UPDATE_SYNC_CONFIG.key, {"syncConfigId": config.id, **changes}, action=action)


@_when("User pauses the sync config")
def user_pauses_the_sync_config(sync_scenario: SyncScenario) -> None:
    """Runs ``integration.syncConfig.update`` with ``isActive: false`` on the last config."""
    _update(sync_scenario, {"isActive": False}, "User pauses the sync config")


@_when("User resumes the sync config")
def user_resumes_the_sync_config(sync_scenario: SyncScenario) -> None:
    """Runs ``integration.syncConfig.update`` with ``isActive: true`` on the last config."""
    _update(sync_scenario, {"isActive": True}, "User resumes the sync config")


# -- Then: cancel -------------------------------------------------------------------------------


def _last_cancel(sync_scenario: SyncScenario) -> tuple[Call, SyncRun, Actor]:
    call = sync_scenario.last_of([CANCEL_SYNC_RUN], "was made")
    assert call.caller is not None
    expect(isinstance(call.result, SyncRun), f"{call.action} returned {call.result!r}")
    return call, call.result, call.caller


@_then("Sync run is cancelled")
def sync_run_is_cancelled(sync_scenario: SyncScenario) -> None:
    """The last cancel returned the run CANCELLED, never started, its ``completedAt`` the
    cancel's time, and storage holds it so, with no lease and no cancel left pending; the
    user's audit record ``integration.sync.cancelled`` names the cancel's event."""
    call, run, caller = _last_cancel(sync_scenario)
    stored = _stored_run(sync_scenario, run.id)
    problems = []
    if stored != run:
        problems.append(f"stored as {stored!r}, returned as {run!r}")
    if run.status is not SyncStatus.CANCELLED:
        problems.append(f"status: {run.status}")
    if run.started_at is not None:
        problems.append(f"startedAt: {run.started_at!r}, but it never ran")
    now = _now(sync_scenario)
    if run.completed_at is None or (now is not None and run.completed_at != now):
        problems.append(f"completedAt: {run.completed_at!r}, the cancel was at {now!r}")
    if run.error_message is not None:
        problems.append(f"errorMessage: {run.error_message!r}")
    if _column(sync_scenario, run.id, "lease_until") is not None:
        problems.append("it still has a lease")
    records = [
        r
        for r in sync_scenario.hub.audit_log(actor=caller, subject_id=run.id)
        if r.key == "integration.sync.cancelled"
    ]
    events = [
        e.id
        for e in _outbox(sync_scenario, run.id)
        if e.key == CANCEL_SYNC_RUN.side_effects.emits[0].key
    ]
    if len(records) != 1 or records[0].actor_id != caller.id or records[0].event_id not in events:
        problems.append(f"audit records integration.sync.cancelled: {records!r}, events {events}")
    expect(not problems, f"{call.action}: run {run.id!r}:\n  " + "\n  ".join(problems))


def _outbox(sync_scenario: SyncScenario, subject_id: str) -> list[Any]:
    with sync_scenario.hub.storage.unit_of_work(write=False) as uow:
        return [e for e in uow.outbox.list() if e.subject_id == subject_id]


@_then("Cancellation is refused")
def cancellation_is_refused(sync_scenario: SyncScenario) -> None:
    """The last call (a cancel) failed with ``Conflict``, wrote and published nothing, and the
    run is still as the worker finished it."""
    call = sync_scenario.last
    expect(call.operation == CANCEL_SYNC_RUN.key, f"the last call was {call.action}, not a cancel")
    the_call_fails_with(sync_scenario, "Conflict")
    nothing_is_stored(sync_scenario)
    no_event_is_emitted(sync_scenario)
    run = _the_run(sync_scenario)
    finished = [r for c in sync_scenario.calls if c.operation is None for r in c.outputs]
    before = [r for r in finished if isinstance(r, SyncRun) and r.id == run.id]
    expect(
        bool(before) and run == before[-1],
        f"the run changed: it is {run!r}, a worker finished it as {before[-1:]!r}",
    )


@_then("the cancel returned the sync run still RUNNING")
def the_cancel_returned_running(sync_scenario: SyncScenario) -> None:
    """A running run is asked to stop: the cancel returned it RUNNING."""
    call, run, _ = _last_cancel(sync_scenario)
    expect(
        run.status is SyncStatus.RUNNING and run.id == _runs_made(sync_scenario)[-1].id,
        f"{call.action} returned {run!r}",
    )


@_then("the engine saw the run cancelled")
def the_engine_saw_the_run_cancelled(sync_scenario: SyncScenario) -> None:
    expect(_engine(sync_scenario).saw_cancel, "is_cancelled() never said the run was cancelled")


# -- Then: pause --------------------------------------------------------------------------------


@_then(parsers.re(r"Sync config is (?P<state>paused|resumed)"))
def sync_config_is(sync_scenario: SyncScenario, state: str) -> None:
    """The last update returned the config with ``isActive`` false (paused) or true (resumed)
    and every other field as before; storage holds it so; its schedule has no due time while
    paused, and the next slot after now once resumed; one audit record
    ``integration.syncConfig.updated`` per update of it, the last by the caller, naming the
    update's event."""
    call = sync_scenario.last_of([UPDATE_SYNC_CONFIG], "was made")
    caller = call.caller
    assert caller is not None
    config = call.result
    expect(isinstance(config, SyncConfig), f"{call.action} returned {config!r}")
    assert isinstance(config, SyncConfig)
    active = state == "resumed"
    before = [c for c in _config_versions(sync_scenario) if c.id == config.id]
    problems = []
    if config.is_active is not active:
        problems.append(f"isActive: {config.is_active}")
    if len(before) >= 2 and canonical({**wire(before[-2]), "isActive": active}) != canonical(
        wire(config)
    ):
        problems.append(f"it was {wire(before[-2])}, it is {wire(config)}")
    stored = sync_scenario.read_back(config.id, caller)
    if stored != config:
        problems.append(f"stored as {stored!r}")
    with sync_scenario.reader.unit_of_work(write=False) as uow:
        schedule = uow.table(SCHEDULES).get(caller.org_id, config.id)
    due = None if schedule is None else schedule.due_at
    if not active and due is not None:
        problems.append(f"its schedule is due at {due.isoformat()}")
    updates = [
        c
        for c in sync_scenario.calls_of(UPDATE_SYNC_CONFIG.key)
        if c.error is None and c.result.id == config.id
    ]
    records = [
        r
        for r in sync_scenario.hub.audit_log(actor=caller, subject_id=config.id)
        if r.key == "integration.syncConfig.updated"
    ]
    events = [e.id for e in _outbox(sync_scenario, config.id) if e.key.endswith("updated")]
    if len(records) != len(updates) or not records or records[-1].event_id not in events:
        problems.append(f"audit records: {records!r} for {len(updates)} update(s)")
    expect(not problems, f"{call.action}: config {config.id!r}:\n  " + "\n  ".join(problems))


def _config_versions(sync_scenario: SyncScenario) -> list[SyncConfig]:
    """Each config as the scenario's calls returned it, in order (created, then updated)."""
    return [
        output
        for call in sync_scenario.calls
        for output in call.outputs
        if isinstance(output, SyncConfig)
    ]


# -- Then: runs ---------------------------------------------------------------------------------

_STATUS = r"(?P<status>PENDING|RUNNING|COMPLETED|FAILED|CANCELLED)"


def _check_run(sync_scenario: SyncScenario, status: str) -> SyncRun:
    """The run is stored in that status. A finished run has a ``completedAt`` and no lease;
    one a worker finished was returned by it as stored; a RUNNING one has a start and a lease."""
    run = _the_run(sync_scenario)
    problems = []
    if run.status != SyncStatus(status):
        problems.append(f"status: {run.status}")
    lease = _column(sync_scenario, run.id, "lease_until")
    if run.status in (SyncStatus.COMPLETED, SyncStatus.FAILED, SyncStatus.CANCELLED):
        if run.completed_at is None:
            problems.append("completedAt: none")
        if lease is not None:
            problems.append(f"it still has a lease, until {lease}")
        finished = [
            r
            for c in sync_scenario.calls
            if c.operation is None and c.action != _SCHEDULER
            for r in c.outputs
            if isinstance(r, SyncRun) and r.id == run.id
        ]
        if finished and finished[-1] != run:
            problems.append(f"the worker returned {finished[-1]!r}")
    if run.status is SyncStatus.RUNNING and (run.started_at is None or lease is None):
        problems.append(f"startedAt {run.started_at!r}, lease {lease!r}")
    expect(not problems, f"sync run {run.id!r} ({run!r}):\n  " + "\n  ".join(problems))
    return run


@_then(parsers.re(r"the sync run is " + _STATUS))
def the_sync_run_is(sync_scenario: SyncScenario, status: str) -> None:
    """The run is stored in that status (a COMPLETED or CANCELLED one without an error)."""
    run = _check_run(sync_scenario, status)
    if run.status in (SyncStatus.COMPLETED, SyncStatus.CANCELLED):
        expect(run.error_message is None, f"errorMessage: {run.error_message!r}")


@_then(parsers.parse('the sync run has FAILED with the error "{message}"'))
def the_sync_run_failed_with(sync_scenario: SyncScenario, message: str) -> None:
    """FAILED, its ``errorMessage`` exactly that (the exception's type and text)."""
    run = _check_run(sync_scenario, "FAILED")
    expect(run.error_message == message, f"errorMessage: {run.error_message!r}")


@_then("the sync run has FAILED because its worker was lost")
def the_sync_run_failed_lost(sync_scenario: SyncScenario) -> None:
    """FAILED, its ``errorMessage`` saying the worker was lost, its ``completedAt`` now."""
    run = _check_run(sync_scenario, "FAILED")
    expect(
        (run.error_message or "").startswith(LOST_WORKER),
        f"errorMessage: {run.error_message!r} does not say the worker was lost",
    )
    expect(
        run.completed_at == _now(sync_scenario),
        f"completedAt: {run.completed_at!r}, the worker that took it back ran at "
        f"{_now(sync_scenario)!r}",
    )


@_then(
    parsers.parse(
        "the sync run counts {processed:d} processed, {created:d} created, {updated:d} updated "
        "and {failed:d} failed"
    )
)
def the_sync_run_counts(
    sync_scenario: SyncScenario, processed: int, created: int, updated: int, failed: int
) -> None:
    run = _the_run(sync_scenario)
    counts = (run.records_processed, run.records_created, run.records_updated, run.records_failed)
    expect(
        counts == (processed, created, updated, failed),
        f"sync run {run.id!r} counts (processed, created, updated, failed) {counts}",
    )


@_then(parsers.parse('the sync run started at "{started}" and ended at "{ended}"'))
def the_sync_run_times(sync_scenario: SyncScenario, started: str, ended: str) -> None:
    run = _the_run(sync_scenario)
    expect(
        (run.started_at, run.completed_at) == (_moment(started), _moment(ended)),
        f"sync run {run.id!r}: startedAt {run.started_at!r}, completedAt {run.completed_at!r}",
    )


@_then(parsers.parse('the sync config was last synced at "{moment}"'))
def the_config_was_last_synced(sync_scenario: SyncScenario, moment: str) -> None:
    config = _the_config(sync_scenario)
    expect(config.last_sync_at == _moment(moment), f"lastSyncAt: {config.last_sync_at!r}")


@_then("the sync config was never synced")
def the_config_was_never_synced(sync_scenario: SyncScenario) -> None:
    config = _the_config(sync_scenario)
    expect(config.last_sync_at is None, f"lastSyncAt: {config.last_sync_at!r}")


@_then(parsers.parse("the sync config has {count:d} runs"))
def the_config_has_runs(sync_scenario: SyncScenario, count: int) -> None:
    """``list_sync_runs`` of the last config counts that many, and they are the runs the
    scenario made of it (none the scenario does not know of)."""
    config = _the_config(sync_scenario)
    page = sync_scenario.hub.list_sync_runs(
        sync_config_id=config.id, limit=100, actor=sync_scenario.actor
    )
    made = sorted(r.id for r in _runs_made(sync_scenario) if r.sync_config_id == config.id)
    expect(
        page.total == count and sorted(r.id for r in page.items) == made,
        f"sync config {config.id!r} has runs {[r.id for r in page.items]} (total {page.total}); "
        f"the scenario made {made}",
    )


@_then("the records written are:")
def the_records_written_are(sync_scenario: SyncScenario, docstring: str) -> None:
    """The target records the mapping engine's writer received, in order (a JSON list)."""
    expected = _mapping(docstring, None)
    written = _engine(sync_scenario).written
    expect(
        canonical(written) == canonical(expected),
        f"the writer received {canonical(written)}",
    )


def _run_event(name: str) -> EmittedEvent:
    cancelled = CANCEL_SYNC_RUN.side_effects.emits[0]
    events = {event_phrase_name(e.key): e for e in (*RUN_EVENTS, cancelled)}
    expect(name in events, f"{name!r} is not an event a run ends with: {', '.join(events)}")
    return events[name]


@_then(
    parsers.re(r"(?P<event_name>[A-Z]\w*) event is sent for the sync run by the (?P<who>worker)")
)
def event_is_sent_for_the_run(sync_scenario: SyncScenario, event_name: str, who: str) -> None:
    """Exactly one event of that key (``SyncCompleted``, ``SyncFailed``, ``SyncCancelled``)
    about the run, its payload the run as stored now, by the worker in the user's org, sent
    after the commit, its wire form and outbox row the same; the audit record of a completed
    or failed run is the worker's (its key the event's), a cancelled run's the user's who
    asked."""
    declared = _run_event(event_name)
    run = _the_run(sync_scenario)
    published = [p for p in sync_scenario.events.of(declared.key) if p.event.payload.id == run.id]
    expect(
        len(published) == 1,
        f"expected one {declared.key} event for {run.id!r}, got {len(published)}: "
        f"{[p.event for p in published]}",
    )
    worker = Actor(id=WORKER_ID, org_id=sync_scenario.actor.org_id)
    event = published[0].event
    problems = []
    if event.payload != run:
        problems.append(f"payload {event.payload!r}, the run is {run!r}")
    if (event.actor_id, event.org_id) != (worker.id, worker.org_id):
        problems.append(f"by {event.actor_id!r} in {event.org_id!r}")
    if published[0].read_error is not None or published[0].committed != run:
        problems.append(
            f"published before its commit: a separate read saw "
            f"{published[0].read_error or published[0].committed!r}"
        )
    expect(not problems, f"{declared.key} {event.id}:\n  " + "\n  ".join(problems))
    _check_wire_form(event, declared, run, worker)
    _check_outbox_row(sync_scenario, event, run)
    records = [
        r
        for r in sync_scenario.hub.audit_log(actor=sync_scenario.actor, subject_id=run.id)
        if r.key == declared.key
    ]
    if declared in RUN_EVENTS:
        expect(
            len(records) == 1
            and (records[0].actor_id, records[0].event_id) == (WORKER_ID, event.id),
            f"expected one audit record {declared.key} by the worker naming {event.id}: "
            f"{records!r}",
        )
    else:
        cancels = [c for c in sync_scenario.calls_of(CANCEL_SYNC_RUN.key) if c.error is None]
        expect(
            len(records) == 1
            and bool(cancels)
            and cancels[-1].caller is not None
            and records[0].actor_id == cancels[-1].caller.id,
            f"expected one audit record {declared.key}, by the user who cancelled: {records!r}",
        )


# -- Then: the scheduler ------------------------------------------------------------------------


def _last_scheduler(sync_scenario: SyncScenario) -> tuple[Call, list[SyncRun]]:
    calls = [c for c in sync_scenario.calls if c.action == _SCHEDULER]
    expect(bool(calls), "the scheduler never ran: When the scheduler runs")
    call = calls[-1]
    expect(call.error is None, call.describe())
    own = sync_scenario.created_ids()
    return call, [r for r in call.outputs if r.sync_config_id in own]


def _every_run_known(sync_scenario: SyncScenario) -> None:
    """Storage holds no run of the scenario's configs that the scenario did not see made."""
    made = {r.id for r in _runs_made(sync_scenario)}
    for config_id in sync_scenario.created_ids():
        page = sync_scenario.hub.list_sync_runs(
            sync_config_id=config_id, limit=100, actor=sync_scenario.actor
        )
        unknown = [r for r in page.items if r.id not in made]
        expect(not unknown, f"sync config {config_id!r} has runs nobody reported: {unknown!r}")


@_then("the scheduler created no run")
def the_scheduler_created_no_run(sync_scenario: SyncScenario) -> None:
    """The last ``schedule_due`` returned no run of the scenario's configs, and storage holds
    none it did not return."""
    call, runs = _last_scheduler(sync_scenario)
    expect(not runs, f"{call.action} created {runs!r}")
    _every_run_known(sync_scenario)


@_then(parsers.parse('the scheduler created a run for the slot "{slot}"'))
def the_scheduler_created_a_run(sync_scenario: SyncScenario, slot: str) -> None:
    """The last ``schedule_due`` created one run of the scenario's configs: of the last config,
    PENDING, triggered ``"schedule"``, created now, stored as returned, for that slot; with
    one ``integration.sync.started`` event (payload the run, by the scheduler, after the commit)
    and its audit record ``integration.sync.triggered``."""
    call, runs = _last_scheduler(sync_scenario)
    expect(len(runs) == 1, f"{call.action} created {len(runs)} runs of the scenario's: {runs!r}")
    run = runs[0]
    config = _the_config(sync_scenario)
    problems = []
    if run != _stored_run(sync_scenario, run.id):
        problems.append(f"stored as {_stored_run(sync_scenario, run.id)!r}")
    expected = {
        "syncConfigId": config.id,
        "status": "PENDING",
        "trigger": "schedule",
        "direction": config.direction.value,
        "startedAt": None,
        "completedAt": None,
        "recordsProcessed": 0,
    }
    actual = wire(run)
    problems += [
        f"{key}: {canonical(actual.get(key))}, expected {canonical(value)}"
        for key, value in expected.items()
        if canonical(actual.get(key)) != canonical(value)
    ]
    if run.created_at != _now(sync_scenario):
        problems.append(f"createdAt {run.created_at!r}, now is {_now(sync_scenario)!r}")
    scheduled_for = _column(sync_scenario, run.id, "scheduled_for")
    if scheduled_for != _moment(slot):
        problems.append(f"its slot is {scheduled_for!r}")
    started = TRIGGER_SYNC.side_effects.emits[0]
    published = [p for p in sync_scenario.events.of(started.key) if p.event.payload.id == run.id]
    scheduler = Actor(id=SCHEDULER_ID, org_id=sync_scenario.actor.org_id)
    if len(published) != 1:
        problems.append(f"{len(published)} {started.key} events")
    else:
        event = published[0].event
        if (event.payload, event.actor_id, event.org_id) != (run, scheduler.id, scheduler.org_id):
            problems.append(f"its event: {event!r}")
        if published[0].committed != run:
            problems.append("its event was published before the commit")
    records = sync_scenario.hub.audit_log(actor=sync_scenario.actor, subject_id=run.id)
    if [(r.key, r.actor_id) for r in records] != [
        (TRIGGER_SYNC.side_effects.audit[0], SCHEDULER_ID)
    ]:
        problems.append(f"audit records: {records!r}")
    expect(not problems, f"scheduled run {run.id!r}:\n  " + "\n  ".join(problems))
    if len(published) == 1:
        _check_wire_form(published[0].event, started, run, scheduler)
        _check_outbox_row(sync_scenario, published[0].event, run)
    _every_run_known(sync_scenario)
