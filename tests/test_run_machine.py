"""The run lifecycle as a Hypothesis state machine, on every backend.

Rules: trigger, run (complete), fail, cancel (pending and running), cancel a finished run,
lose a worker (its run stays RUNNING until its lease runs out), pause, resume, and schedule
(the hub's clock moves on, then ``schedule_due``). A model predicts every run's status and the
schedules' slots with its own arithmetic; after each step the storage must agree with it, and:

- a run in a terminal state never changes again;
- a config has at most one active (PENDING or RUNNING) run;
- every run has exactly one ``integration.sync.started`` event and one
  ``integration.sync.triggered`` audit record; every finished run exactly one end event
  (completed, failed or cancelled) and its audit record (a cancel's record is written by the
  request, one per accepted request; the event when the run ends); an active run none;
- ``list_sync_runs`` totals, in all and per status, are the runs made.

The settings are derandomized and without deadline, so that CI runs the same steps each time.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from sync_sdk import Conflict, SyncHub
from sync_sdk.engine import RunContext, SyncResult
from sync_sdk.models import SyncRun, SyncStatus

from .conftest import USER, postgres_schema_url
from .test_runs import (
    CANCELLED,
    COMPLETED,
    FAILED,
    SECRET_KEY,
    STARTED,
    UPDATED,
    Clock,
    WorkerDied,
    make_config,
)

SETTINGS = settings(
    max_examples=25,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

#: The configs of each example: their schedule's step in minutes ("*/5 * * * *"...).
STEPS = (5, 10, 15)
LEASE = 600.0  # seconds: a lost worker's run is taken back ten minutes after its claim
TERMINAL = (SyncStatus.COMPLETED, SyncStatus.FAILED, SyncStatus.CANCELLED)
END_EVENTS = {
    SyncStatus.COMPLETED: COMPLETED,
    SyncStatus.FAILED: FAILED,
    SyncStatus.CANCELLED: CANCELLED,
}


def slot_floor(moment: datetime, step: int) -> datetime:
    """The latest slot of ``*/step * * * *`` at or before ``moment`` (the model's own cron)."""
    minute = moment.minute - moment.minute % step
    return moment.replace(minute=minute, second=0, microsecond=0)


@attrs.define
class ModelRun:
    id: str
    config: int
    status: SyncStatus
    lease_until: datetime | None = None
    cancel_requests: int = 0


@attrs.define
class ModelConfig:
    id: str
    step: int
    active: bool = True
    due_at: datetime | None = None
    updates: int = 0


class RunMachine(RuleBasedStateMachine):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.clock = Clock()
        self.hub = SyncHub(url, clock=self.clock, secret_key=SECRET_KEY)
        self.configs: list[ModelConfig] = []
        for step in STEPS:
            config = make_config(self.hub, schedule_enabled=True, schedule_cron=f"*/{step} * * * *")
            due = slot_floor(self.clock.now, step) + timedelta(minutes=step)
            self.configs.append(ModelConfig(config.id, step, due_at=due))
        self.runs: dict[str, ModelRun] = {}
        self.finished: dict[str, SyncRun] = {}  # each terminal run as first seen
        self.checks = 0

    def teardown(self) -> None:
        self.hub.close()

    # -- helpers ------------------------------------------------------------------------------

    def active_run(self, config: int) -> ModelRun | None:
        active = [r for r in self.runs.values() if r.config == config and r.status not in TERMINAL]
        assert len(active) <= 1
        return active[0] if active else None

    def in_state(self, status: SyncStatus) -> list[ModelRun]:
        return [r for r in self.runs.values() if r.status is status]

    def add_run(self, run: SyncRun, config: int) -> None:
        assert run.status is SyncStatus.PENDING
        assert run.id not in self.runs
        self.runs[run.id] = ModelRun(run.id, config, SyncStatus.PENDING)

    def recover_lost(self) -> set[str]:
        """What run_pending does first: RUNNING runs past their lease become FAILED."""
        lost = set()
        for run in self.in_state(SyncStatus.RUNNING):
            assert run.lease_until is not None
            if run.lease_until <= self.clock.now:
                run.status = SyncStatus.FAILED
                lost.add(run.id)
        return lost

    def stored(self) -> tuple[int, int]:
        with self.hub.storage.unit_of_work(write=False) as uow:
            return uow.audit.count(), uow.outbox.count()

    def run_pending(self, engine: Any, outcome: SyncStatus) -> None:
        """Run every pending run with ``engine``; each should end ``outcome``."""
        lost = self.recover_lost()
        pending = {r.id for r in self.in_state(SyncStatus.PENDING)}
        finished = self.hub.run_pending(engine)
        assert {r.id for r in finished} == lost | pending
        for run in finished:
            expected = SyncStatus.FAILED if run.id in lost else outcome
            assert run.status is expected, run
            self.runs[run.id].status = expected

    # -- rules --------------------------------------------------------------------------------

    @rule(config=st.sampled_from(range(len(STEPS))))
    def trigger(self, config: int) -> None:
        model = self.configs[config]
        refused = not model.active or self.active_run(config) is not None
        before = self.stored()
        try:
            run = self.hub.trigger_sync(sync_config_id=model.id, actor=USER)
        except Conflict:
            assert refused
            assert self.stored() == before
        else:
            assert not refused
            assert run.trigger == "manual"
            self.add_run(run, config)

    def has_work(self) -> bool:
        return any(r.status in (SyncStatus.PENDING, SyncStatus.RUNNING) for r in self.runs.values())

    @precondition(has_work)
    @rule()
    def run(self) -> None:
        self.run_pending(lambda context: SyncResult(records_processed=2), SyncStatus.COMPLETED)

    @precondition(has_work)
    @rule()
    def fail(self) -> None:
        def engine(context: RunContext) -> SyncResult:
            raise RuntimeError("the target is down")

        self.run_pending(engine, SyncStatus.FAILED)

    @precondition(has_work)
    @rule()
    def cancel_running(self) -> None:
        """The user cancels each run while its engine runs; the engine sees it and stops."""
        seen: list[bool] = []

        def engine(context: RunContext) -> SyncResult:
            asked = self.hub.cancel_sync_run(context.run.id, actor=USER)
            assert asked.status is SyncStatus.RUNNING
            self.runs[context.run.id].cancel_requests += 1
            seen.append(context.is_cancelled())
            return SyncResult(records_processed=1)

        self.run_pending(engine, SyncStatus.CANCELLED)
        assert all(seen)

    @precondition(lambda self: self.in_state(SyncStatus.PENDING))
    @rule()
    def lose_worker(self) -> None:
        """A worker claims a run and dies: the run stays RUNNING until its lease runs out."""
        lost = self.recover_lost()
        claimed: list[str] = []

        def engine(context: RunContext) -> SyncResult:
            claimed.append(context.run.id)
            raise WorkerDied

        with contextlib.suppress(WorkerDied):
            self.hub.run_pending(engine, lease=LEASE)
        (run_id,) = claimed
        run = self.runs[run_id]
        assert run.status is SyncStatus.PENDING and run_id not in lost
        run.status = SyncStatus.RUNNING
        run.lease_until = self.clock.now + timedelta(seconds=LEASE)

    @precondition(lambda self: self.in_state(SyncStatus.PENDING))
    @rule(pick=st.integers(min_value=0, max_value=10))
    def cancel_pending(self, pick: int) -> None:
        pending = self.in_state(SyncStatus.PENDING)
        run = pending[pick % len(pending)]
        cancelled = self.hub.cancel_sync_run(run.id, actor=USER)
        assert cancelled.status is SyncStatus.CANCELLED
        run.status = SyncStatus.CANCELLED
        run.cancel_requests += 1

    @precondition(lambda self: self.in_state(SyncStatus.RUNNING))
    @rule(pick=st.integers(min_value=0, max_value=10))
    def cancel_orphan(self, pick: int) -> None:
        """A cancel of a run whose worker is lost: marked; it ends FAILED when taken back."""
        running = self.in_state(SyncStatus.RUNNING)
        run = running[pick % len(running)]
        assert self.hub.cancel_sync_run(run.id, actor=USER).status is SyncStatus.RUNNING
        run.cancel_requests += 1

    @precondition(lambda self: any(r.status in TERMINAL for r in self.runs.values()))
    @rule(pick=st.integers(min_value=0, max_value=10))
    def cancel_finished(self, pick: int) -> None:
        done = [r for r in self.runs.values() if r.status in TERMINAL]
        run = done[pick % len(done)]
        before = self.stored()
        with pytest.raises(Conflict):
            self.hub.cancel_sync_run(run.id, actor=USER)
        assert self.stored() == before

    @rule(config=st.sampled_from(range(len(STEPS))))
    def pause(self, config: int) -> None:
        model = self.configs[config]
        updated = self.hub.update_sync_config(model.id, actor=USER, is_active=False)
        assert updated.is_active is False
        model.active, model.due_at = False, None
        model.updates += 1

    @rule(config=st.sampled_from(range(len(STEPS))))
    def resume(self, config: int) -> None:
        model = self.configs[config]
        updated = self.hub.update_sync_config(model.id, actor=USER, is_active=True)
        assert updated.is_active is True
        if not model.active:  # from the next slot on
            model.due_at = slot_floor(self.clock.now, model.step) + timedelta(minutes=model.step)
        model.active = True
        model.updates += 1

    @rule(minutes=st.integers(min_value=0, max_value=40), seconds=st.integers(0, 59))
    def schedule(self, minutes: int, seconds: int) -> None:
        now = self.clock.advance(minutes=minutes, seconds=seconds)
        expected = set()
        for index, model in enumerate(self.configs):
            if model.active and model.due_at is not None and model.due_at <= now:
                slot = slot_floor(now, model.step)
                model.due_at = slot + timedelta(minutes=model.step)
                if self.active_run(index) is None:
                    expected.add(index)
        made = self.hub.schedule_due()
        by_config = {config.id: index for index, config in enumerate(self.configs)}
        assert sorted(by_config[r.sync_config_id] for r in made) == sorted(expected)
        for run in made:
            assert run.trigger == "schedule" and run.created_at == now
            self.add_run(run, by_config[run.sync_config_id])

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def storage_agrees_with_the_model(self) -> None:
        self.checks += 1
        runs: dict[str, SyncRun] = {}
        for index, model in enumerate(self.configs):
            page = self.hub.list_sync_runs(sync_config_id=model.id, limit=100, actor=USER)
            mine = [r for r in self.runs.values() if r.config == index]
            assert page.total == len(page.items) == len(mine)
            # one status filter per step, in turn (each filter is a query)
            status = list(SyncStatus)[self.checks % len(SyncStatus)]
            filtered = self.hub.list_sync_runs(
                sync_config_id=model.id, status=status, limit=1, actor=USER
            )
            assert filtered.total == sum(1 for r in mine if r.status is status)
            active = [r for r in page.items if r.status not in TERMINAL]
            assert len(active) <= 1
            runs.update((r.id, r) for r in page.items)
        assert {i: r.status for i, r in runs.items()} == {i: r.status for i, r in self.runs.items()}
        for run_id, run in runs.items():
            if run.status in TERMINAL:
                first = self.finished.setdefault(run_id, run)
                assert run == first  # a finished run never changes

    @invariant()
    def one_event_and_audit_record_per_transition(self) -> None:
        with self.hub.storage.unit_of_work(write=False) as uow:
            events = uow.outbox.list()
        audit = self.hub.audit_log(actor=USER)
        event_keys = Counter((e.subject_id, e.key) for e in events)
        audit_keys = Counter((a.subject_id, a.key) for a in audit)
        event_ids = {(e.subject_id, e.key): e.id for e in events}
        for run in self.runs.values():
            assert event_keys[run.id, STARTED] == 1
            assert audit_keys[run.id, "integration.sync.triggered"] == 1
            ends = {key: event_keys[run.id, key] for key in END_EVENTS.values()}
            expected = END_EVENTS.get(run.status)
            assert ends == {key: int(key == expected) for key in END_EVENTS.values()}
            assert audit_keys[run.id, CANCELLED] == run.cancel_requests
            for key in (COMPLETED, FAILED):
                assert audit_keys[run.id, key] == int(key == expected)
            if expected in (COMPLETED, FAILED):
                (record,) = [a for a in audit if a.subject_id == run.id and a.key == expected]
                assert record.event_id == event_ids[run.id, expected]
        for model in self.configs:
            assert event_keys[model.id, UPDATED] == model.updates
            assert audit_keys[model.id, UPDATED] == model.updates
        per_run = {STARTED, COMPLETED, FAILED, CANCELLED}
        assert sum(n for (_, key), n in event_keys.items() if key in per_run) == sum(
            1 + (r.status in TERMINAL) for r in self.runs.values()
        )


def machine_url(backend: str, tmp_path: Path) -> str:
    """A fresh storage for each example."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite-memory":
        return "sqlite://"
    if backend == "sqlite-file":
        return f"sqlite:///{tmp_path / f'machine-{uuid.uuid4().hex[:12]}.db'}"
    return postgres_schema_url()


def test_run_lifecycle_machine(backend: str, tmp_path: Path) -> None:
    if backend == "postgres":
        postgres_schema_url()  # skips (or fails under CI) without a server, before Hypothesis

    def machine() -> RunMachine:  # a fresh storage for each example
        return RunMachine(machine_url(backend, tmp_path))

    # Hypothesis types the factory as the class, but calls any callable
    run_state_machine_as_test(machine, settings=SETTINGS)  # type: ignore[arg-type]
