"""Workers: runs claimed, executed by the application's engine, and finished; cron schedules.

A run moves ``PENDING -> RUNNING -> COMPLETED | FAILED | CANCELLED`` (or ``PENDING ->
CANCELLED``), each step a compare-and-set on its status in a committed transaction:

1. :func:`run_pending` first takes back the runs whose worker was lost (RUNNING, lease expired):
   FAILED, with ``integration.sync.failed``. It then claims PENDING runs one at a time, oldest
   first (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite, so that workers
   in other processes claim others), marks each RUNNING with ``startedAt`` and a lease, commits,
   and calls the engine outside any transaction.
2. The engine's :class:`~sync_sdk.engine.RunContext` gives the run, its config with its field
   mappings, the connection's decrypted credentials and ``is_cancelled()``, which also renews
   the lease while the engine works (at most every third of the lease).
3. The outcome is written in one transaction with its event and audit record: COMPLETED (the
   counts, ``completedAt``, the config's ``lastSyncAt``; ``integration.sync.completed``),
   FAILED (``errorMessage``, the exception's type and text; ``integration.sync.failed``), or
   CANCELLED when :meth:`~sync_sdk.SyncHub.cancel_sync_run` asked meanwhile
   (``integration.sync.cancelled``). A run that another worker took back meanwhile keeps the
   outcome that worker wrote.

:func:`schedule_due` creates the runs of cron schedules (see
:mod:`sync_sdk.operations.schedules`): one PENDING run per config and slot, ``trigger``
``"schedule"``, for the latest slot that has passed; slots missed meanwhile are not replayed one
by one. It reads only the schedules that are due (an index on their next slot), takes them with
the same row locks as claims, and a unique index on ``(config, slot)`` makes one run per slot
however many processes call it at once.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from sync_sdk.contracts import CANCEL_SYNC_RUN, RUN_COMPLETED, RUN_FAILED, TRIGGER_SYNC
from sync_sdk.engine import RunContext, SyncResult
from sync_sdk.errors import ConfigurationTypeError, ValidationError, ValidationIssue, safe_repr
from sync_sdk.ids import new_id
from sync_sdk.models import SyncConfig, SyncRun, SyncStatus
from sync_sdk.operations.schedules import latest_slot, next_slot, wants_schedule
from sync_sdk.operations.sync import run_extras, with_mappings
from sync_sdk.operations.tables import ACTIVE_RUN_STATES, CONNECTIONS, SCHEDULES, SYNC_RUNS
from sync_sdk.records import Actor
from sync_sdk.storage.base import UnitOfWork
from sync_sdk.storage.tables import Before, TableRepository, UniqueViolation

if TYPE_CHECKING:
    from sync_sdk.hub import Effects, SyncHub

__all__ = ["LOST_WORKER", "run_pending", "schedule_due"]

logger = logging.getLogger("sync_sdk.worker")

#: The start of the error message of a run whose worker was lost.
LOST_WORKER = "WorkerLost: the worker running this sync stopped before it finished"

_MAX_LIMIT = 1000
_MAX_LEASE = 86_400
_BATCH = 100  # schedules taken per transaction
_ATTEMPTS = 3
_MAX_ERROR = 2000  # characters of an error message kept
_MAX_COUNT = 2**63 - 1  # the largest count a bigint column holds


def worker_actor(org_id: str) -> Actor:
    """Who the events and audit records of a worker are by: the worker, in the run's org."""
    return Actor(id="sync_sdk:worker", org_id=org_id)


def scheduler_actor(org_id: str) -> Actor:
    return Actor(id="sync_sdk:scheduler", org_id=org_id)


def _check(limit: object, lease: object) -> None:
    issues = []
    if type(limit) is not int:
        issues.append(
            ValidationIssue(
                "limit", "invalid_type", f"must be an integer, not {type(limit).__name__}"
            )
        )
    elif not 1 <= limit <= _MAX_LIMIT:
        issues.append(ValidationIssue("limit", "out_of_range", f"must be 1 to {_MAX_LIMIT}"))
    if isinstance(lease, bool) or not isinstance(lease, int | float):
        issues.append(
            ValidationIssue(
                "lease", "invalid_type", f"must be a number of seconds, not {type(lease).__name__}"
            )
        )
    elif not 0 < lease <= _MAX_LEASE:  # also false for nan
        issues.append(
            ValidationIssue(
                "lease", "out_of_range", f"must be more than 0 and at most {_MAX_LEASE} seconds"
            )
        )
    if issues:
        raise ValidationError(issues)


def run_pending(
    hub: SyncHub, engine: Callable[[RunContext], SyncResult], *, limit: int, lease: float
) -> list[SyncRun]:
    """See :meth:`SyncHub.run_pending <sync_sdk.SyncHub.run_pending>`."""
    if not callable(engine):
        raise ConfigurationTypeError(
            f"engine must be callable (a SyncEngine), not {type(engine).__name__}"
        )
    _check(limit, lease)
    finished: list[SyncRun] = []
    for index in range(limit):
        # the first claim also takes back the runs of lost workers, in its transaction
        recovered, claimed = _claim(hub, lease, recover=index == 0)
        finished.extend(recovered)
        if claimed is None:
            break
        finished.append(_execute(hub, engine, claimed, lease))
    return finished


@attrs.frozen
class _Claimed:
    """A run just claimed, with what its engine is given (credentials still encrypted)."""

    org_id: str
    run: SyncRun
    config: SyncConfig
    token: object


def _recover(runs: TableRepository[SyncRun], effects: Effects, now: datetime) -> list[SyncRun]:
    """FAILED for every RUNNING run whose lease ran out: its worker died or hung."""
    recovered: list[SyncRun] = []
    lost = runs.lock({"status": SyncStatus.RUNNING, "lease_until": Before(now)}, limit=_MAX_LIMIT)
    for org_id, run in lost:
        message = f"{LOST_WORKER}: its lease ran out at {now.isoformat()} or before"
        changes = {
            "status": SyncStatus.FAILED,
            "error_message": message,
            "completed_at": now,
            "lease_until": None,
        }
        if runs.update(org_id, run.id, changes, expect={"status": SyncStatus.RUNNING}):
            done = attrs.evolve(
                run, status=SyncStatus.FAILED, error_message=message, completed_at=now
            )
            effects.emit(RUN_FAILED, done, worker_actor(org_id), run.id, RUN_FAILED.key)
            recovered.append(done)
    return recovered


def _claim(hub: SyncHub, lease: float, *, recover: bool) -> tuple[list[SyncRun], _Claimed | None]:
    """In one transaction: the lost workers' runs taken back (with ``recover``), then the
    oldest PENDING run made RUNNING under a lease, read with its config, mappings and
    connection token (None if there is no PENDING run)."""
    now = hub._now()

    def claim(uow: UnitOfWork, effects: Effects) -> tuple[list[SyncRun], _Claimed | None]:
        runs = uow.table(SYNC_RUNS)
        recovered = _recover(runs, effects, now) if recover else []
        for org_id, run in runs.lock({"status": SyncStatus.PENDING}, limit=1):
            changes = {
                "status": SyncStatus.RUNNING,
                "started_at": now,
                "lease_until": now + timedelta(seconds=lease),
            }
            if runs.update(org_id, run.id, changes, expect={"status": SyncStatus.PENDING}):
                running = attrs.evolve(run, status=SyncStatus.RUNNING, started_at=now)
                config, token = _inputs(uow, org_id, running)
                return recovered, _Claimed(org_id, running, config, token)
        return recovered, None

    recovered, claimed = hub._transact(claim, now)
    for run in recovered:
        logger.warning("sync run %s: %s", run.id, run.error_message)
    return recovered, claimed


def _inputs(uow: UnitOfWork, org_id: str, run: SyncRun) -> tuple[SyncConfig, object]:
    """The run's config with its mappings, and its connection's credentials token (or None)."""
    config = uow.configs.get(org_id, run.sync_config_id)
    if config is None:  # pragma: no cover - configs are never deleted
        raise LookupError(f"sync config {run.sync_config_id!r} not found")
    config = with_mappings(uow, org_id, [config])[0]
    # None both for no connection here and for one without credentials
    token = uow.table(CONNECTIONS).value(org_id, config.connection_id, "credentials")
    return config, token


class _Lease:
    """``is_cancelled()`` for a running run: reads whether a cancel was asked, and renews the
    lease when a third of it has passed since it was last set."""

    def __init__(self, hub: SyncHub, org_id: str, run_id: str, lease: float) -> None:
        self._hub, self._org_id, self._run_id, self._lease = hub, org_id, run_id, lease
        self._renewed = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        hub = self._hub
        with self._lock:
            if time.monotonic() - self._renewed >= self._lease / 3:
                now = hub._now()
                with hub.storage.unit_of_work() as uow:
                    uow.table(SYNC_RUNS).update(
                        self._org_id,
                        self._run_id,
                        {"lease_until": now + timedelta(seconds=self._lease)},
                        expect={"status": SyncStatus.RUNNING},
                    )
                    uow.commit()
                self._renewed = time.monotonic()
            with hub.storage.unit_of_work(write=False) as uow:
                asked = uow.table(SYNC_RUNS).value(self._org_id, self._run_id, "cancel_requested")
        return bool(asked)


def _credentials(hub: SyncHub, token: object) -> dict[str, Any] | None:
    """The connection's credentials, decrypted with the hub's key."""
    if token is None:
        return None
    cipher = hub._cipher
    if cipher is None:
        from sync_sdk.credentials import SecretKeyRequired

        raise SecretKeyRequired(
            "the connection's credentials are encrypted: the worker's hub needs the secret key"
            " (secret_key= or $SYNC_SDK_SECRET_KEY) to read them"
        )
    return cipher.decrypt(str(token))


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def _result_problem(result: SyncResult) -> str | None:
    """Why an engine's result cannot be stored (counts the columns cannot hold would fail the
    write and leave the run RUNNING until its lease ran out); None when it can."""
    for name in ("records_processed", "records_created", "records_updated", "records_failed"):
        value = getattr(result, name)
        if type(value) is not int or not 0 <= value <= _MAX_COUNT:
            return (
                f"ValueError: the engine's SyncResult has {name}={safe_repr(value)},"
                " not a count (an int, 0 or more)"
            )
    if not isinstance(result.error_message, str | None):
        return (
            "TypeError: the engine's SyncResult has an error_message of type"
            f" {type(result.error_message).__name__}, not str"
        )
    return None


def _execute(
    hub: SyncHub,
    engine: Callable[[RunContext], SyncResult],
    claimed: _Claimed,
    lease: float,
) -> SyncRun:
    """Call the engine on a claimed run, then write its outcome."""
    org_id, run, config = claimed.org_id, claimed.run, claimed.config
    result: SyncResult | None = None
    error: str | None = None
    try:
        credentials = _credentials(hub, claimed.token)
        context = RunContext(
            run=run,
            config=config,
            credentials=credentials,
            is_cancelled=_Lease(hub, org_id, run.id, lease),
        )
        returned = engine(context)
        if isinstance(returned, SyncResult):
            error = _result_problem(returned)
            if error is None:
                result = returned
                error = returned.error_message
        else:
            error = f"TypeError: the engine returned {type(returned).__name__}, not a SyncResult"
    except Exception as exc:  # the engine's failure is the run's, never the worker's
        logger.exception("sync run %s: the engine raised", run.id)
        error = _error_text(exc)
    return _finish(hub, org_id, run, result, error)


def _finish(
    hub: SyncHub, org_id: str, run: SyncRun, result: SyncResult | None, error: str | None
) -> SyncRun:
    now = hub._now()

    def finish(uow: UnitOfWork, effects: Effects) -> SyncRun:
        runs = uow.table(SYNC_RUNS)
        status = SyncStatus.FAILED if error is not None else SyncStatus.COMPLETED
        counts: dict[str, Any] = {}
        if result is not None:
            counts = {
                "records_processed": result.records_processed,
                "records_created": result.records_created,
                "records_updated": result.records_updated,
                "records_failed": result.records_failed,
            }
        changes: dict[str, Any] = {
            "status": status,
            "completed_at": now,
            "lease_until": None,
            "error_message": error,
            **counts,
        }
        # The outcome only if no cancel was asked meanwhile, in the same statement: a cancel
        # that lands between a read of the flag and the write would be lost otherwise.
        written = runs.update(
            org_id,
            run.id,
            changes,
            expect={"status": SyncStatus.RUNNING, "cancel_requested": False},
        )
        if not written:  # a cancel was asked (or the run is no longer RUNNING)
            status = SyncStatus.CANCELLED
            changes = {**changes, "status": status, "error_message": None}
            written = runs.update(org_id, run.id, changes, expect={"status": SyncStatus.RUNNING})
        if not written:
            current: SyncRun = runs.get(org_id, run.id) or run
            logger.warning(
                "sync run %s: ended %s by another worker (its lease ran out); this outcome is"
                " dropped",
                run.id,
                current.status,
            )
            return current
        done = attrs.evolve(
            run,
            status=status,
            completed_at=now,
            error_message=changes["error_message"],
            **counts,
        )
        actor = worker_actor(org_id)
        if status is SyncStatus.COMPLETED:
            uow.configs.update(org_id, run.sync_config_id, {"last_sync_at": now})
            effects.emit(RUN_COMPLETED, done, actor, run.id, RUN_COMPLETED.key)
        elif status is SyncStatus.FAILED:
            effects.emit(RUN_FAILED, done, actor, run.id, RUN_FAILED.key)
        else:  # the cancel request wrote the audit record
            effects.emit(CANCEL_SYNC_RUN.side_effects.emits[0], done, actor, run.id)
        return done

    done = hub._transact(finish, now)
    logger.info("%s", describe(done))
    return done


def describe(run: SyncRun) -> str:
    """One log line for a finished run."""
    text = (
        f"sync run {run.id} of {run.sync_config_id}: {run.status}"
        f" (processed {run.records_processed}, created {run.records_created},"
        f" updated {run.records_updated}, failed {run.records_failed})"
    )
    return text if run.error_message is None else f"{text}: {run.error_message}"


def _moment(now: object, hub: SyncHub) -> datetime:
    if now is None:
        return hub._now()
    if not isinstance(now, datetime):
        raise ValidationError(
            [
                ValidationIssue(
                    "now", "invalid_type", f"must be a datetime, not {type(now).__name__}"
                )
            ]
        )
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def schedule_due(hub: SyncHub, now: datetime | None) -> list[SyncRun]:
    """See :meth:`SyncHub.schedule_due <sync_sdk.SyncHub.schedule_due>`."""
    moment = _moment(now, hub)
    started = TRIGGER_SYNC.side_effects.emits[0]
    audit_key = TRIGGER_SYNC.side_effects.audit[0]

    def batch(uow: UnitOfWork, effects: Effects) -> tuple[list[SyncRun], int]:
        schedules = uow.table(SCHEDULES)
        runs = uow.table(SYNC_RUNS)
        created: list[SyncRun] = []
        due = schedules.lock({"due_at": Before(moment)}, limit=_BATCH, order_by="due_at")
        for org_id, schedule in due:
            config = uow.configs.get(org_id, schedule.id)
            if config is None or not wants_schedule(config):
                schedules.update(org_id, schedule.id, {"due_at": None})
                continue
            slot = latest_slot(schedule.cron, moment)
            if slot is None or schedule.due_at is None or slot < schedule.due_at:
                # not due after all (a due time that is no slot): wait for the next slot
                after = schedule.due_at or moment
                schedules.update(org_id, schedule.id, {"due_at": next_slot(schedule.cron, after)})
                continue
            schedules.update(
                org_id,
                schedule.id,
                {"due_at": next_slot(schedule.cron, slot), "last_slot_at": slot},
            )
            active = runs.find(
                org_id, {"sync_config_id": config.id, "status": ACTIVE_RUN_STATES}, limit=1
            )
            if active:  # this slot is skipped: one active run per config
                logger.info(
                    "sync config %s: slot %s skipped, run %s is still %s",
                    config.id,
                    slot.isoformat(),
                    active[0].id,
                    active[0].status,
                )
                continue
            run = SyncRun(
                id=new_id("run_"),
                sync_config_id=config.id,
                status=SyncStatus.PENDING,
                direction=config.direction,
                trigger="schedule",
                records_processed=0,
                records_created=0,
                records_updated=0,
                records_failed=0,
                created_at=moment,
            )
            actor = scheduler_actor(org_id)
            runs.add(org_id, run, run_extras(actor.id, scheduled_for=slot))
            effects.emit(started, run, actor, run.id, audit_key)
            created.append(run)
        return created, len(due)

    made: list[SyncRun] = []
    while True:
        for attempt in range(_ATTEMPTS):
            try:
                created, taken = hub._transact(batch, moment)
                break
            except UniqueViolation:
                # a manual trigger (or another scheduler) won a row meanwhile: take the batch
                # again, which now sees it
                if attempt == _ATTEMPTS - 1:
                    raise
        made.extend(created)
        if taken < _BATCH:
            return made


def serve(
    hub: SyncHub,
    engine: Callable[[RunContext], SyncResult],
    *,
    interval: float,
    once: bool,
    stop: threading.Event,
    lease: float = 300.0,
    log: Callable[[str], None] = print,
) -> int:
    """The worker loop of ``sync-sdk worker``: create the runs of due schedules, run every
    pending run (one at a time), sleep ``interval`` seconds when there was nothing to do;
    until ``stop`` is set (checked between runs, so that the run in hand finishes) or, with
    ``once``, after one pass. Logs one line per finished run; returns how many it finished."""
    if not (isinstance(interval, int | float) and math.isfinite(interval) and interval > 0):
        raise ValidationError(
            [ValidationIssue("interval", "out_of_range", "must be a positive number of seconds")]
        )
    finished = 0
    while not stop.is_set():
        created = schedule_due(hub, None)
        done = 0
        while not stop.is_set():  # one run at a time: a stop waits for the run in hand only
            runs = run_pending(hub, engine, limit=1, lease=lease)
            for run in runs:
                log(describe(run))
            done += len(runs)
            if not runs:
                break
        finished += done
        if once:
            break
        if not created and not done:
            stop.wait(interval)
    return finished


def _log_line(text: str) -> None:
    """A line of the worker's output: UTC time, then the text; flushed at once."""
    print(f"{datetime.now(UTC).isoformat(timespec='seconds')} {text}", flush=True)


class EngineImportError(Exception):
    """``--engine module:callable`` names nothing that can be called."""


def load_engine(spec: str) -> Callable[[RunContext], SyncResult]:
    """The callable that ``spec`` (``module:attribute``, dotted attributes allowed) names,
    imported with the current directory on ``sys.path``, as ``python -m`` would have it."""
    import importlib
    import os
    import sys

    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise EngineImportError(
            f"--engine {spec!r}: give module:callable, for example myapp.sync:engine"
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:  # any failure of the app's module, reported, never a traceback
        raise EngineImportError(
            f"--engine {spec!r}: cannot import {module_name!r}: {type(exc).__name__}: {exc}"
        ) from exc
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise EngineImportError(
                f"--engine {spec!r}: {module_name!r} has no attribute {attribute!r}"
            ) from None
    if not callable(target):
        raise EngineImportError(
            f"--engine {spec!r}: {attribute!r} is a {type(target).__name__}, not a callable"
        )
    return target  # type: ignore[no-any-return]


def run_worker(
    storage: str | None,
    engine_spec: str,
    *,
    interval: float = 5.0,
    once: bool = False,
    log: Callable[[str], None] | None = None,
) -> int:
    """``sync-sdk worker``: load the engine, open the hub, and :func:`serve` until SIGTERM or
    Ctrl-C (the run in hand finishes first; a second Ctrl-C interrupts it: exit code 130). Exit
    code 0, or 2 when the interval is not a positive number, the engine cannot be loaded or the
    storage opened (the message on stderr)."""
    import signal
    import sys

    from sync_sdk.errors import SyncSdkError
    from sync_sdk.hub import SyncHub

    if log is None:
        log = _log_line
    if not (isinstance(interval, int | float) and math.isfinite(interval) and interval > 0):
        print("sync-sdk worker: --interval must be a positive number of seconds", file=sys.stderr)
        return 2
    try:
        engine = load_engine(engine_spec)
        hub = SyncHub(storage)
    except (EngineImportError, SyncSdkError) as exc:
        print(f"sync-sdk worker: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: do not wait for the run in hand
        stop.set()
        log(f"stopping after the run in hand ({signal.Signals(signum).name})")

    previous = {
        number: signal.signal(number, request_stop) for number in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        log(f"sync-sdk worker on {hub.storage.url}, engine {engine_spec}")
        finished = serve(hub, engine, interval=interval, once=once, stop=stop, log=log)
        log(f"stopped: {finished} run(s) finished")
        return 0
    except KeyboardInterrupt:
        # the run in hand stays RUNNING: the next worker takes it back once its lease runs out
        log("interrupted: the run in hand is left to its lease")
        return 130
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        hub.close()
