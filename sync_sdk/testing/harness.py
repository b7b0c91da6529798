"""What the step library works with: storage targets, the scenario's id factories, an event
recorder that proves commit-before-publish, and the state of one scenario: every call it made,
by operation.

Nothing here imports pytest, so these pieces can be used (and tested) on their own::

    >>> [t.name for t in storage_targets(None, {})]
    ['memory', 'sqlite-memory', 'sqlite-file']
    >>> [t.name for t in storage_targets(["memory"], {"SYNC_SDK_TEST_POSTGRES_URL": "postgresql://db/x"})]
    ['memory', 'postgresql']

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import define, field, frozen

from sync_sdk.contracts import CREATE_SYNC_CONFIG, RUN_EVENTS, registry
from sync_sdk.contracts.gherkin import CONFIG_INPUT_KEY
from sync_sdk.contracts.spec import OperationContract
from sync_sdk.credentials import SECRET_KEY_VARIABLE
from sync_sdk.errors import NotFound, SyncSdkError
from sync_sdk.events import EventEnvelope
from sync_sdk.hub import SyncHub, new_config_id
from sync_sdk.ids import new_id
from sync_sdk.models import Connection, FieldMapping, Integration, SyncConfig, SyncRun
from sync_sdk.operations import BUILTIN_TABLES
from sync_sdk.records import Actor, Page
from sync_sdk.signals import signal_for
from sync_sdk.storage import Storage, open_storage, redact_url
from sync_sdk.storage.tables import Table

__all__ = [
    "CONFIG_ID_FORMAT",
    "DEFAULT_TARGETS",
    "ID_PREFIXES",
    "POSTGRES_ENV_VAR",
    "TARGETS_ENV_VAR",
    "Call",
    "EventRecorder",
    "PublishedEvent",
    "ScenarioClock",
    "ScenarioIds",
    "StorageTarget",
    "SyncScenario",
    "expect",
    "id_format",
    "storage_targets",
    "subscribe",
]

#: Comma-separated storage URLs (or aliases) the feature suite runs against.
TARGETS_ENV_VAR = "SYNC_SDK_TEST_STORAGE_URLS"
#: A PostgreSQL URL that CI sets when a server is up; added to the targets whatever they are.
POSTGRES_ENV_VAR = "SYNC_SDK_TEST_POSTGRES_URL"

#: Aliases for stores private to one scenario (``sqlite-file``: a new file in its tmp_path).
ALIASES = {"memory": "memory://", "sqlite-memory": "sqlite://", "sqlite-file": ""}
#: The targets when none is chosen.
DEFAULT_TARGETS = ("memory", "sqlite-memory", "sqlite-file")

#: The form of a config id the SDK draws itself: ``sync_`` and 32 lowercase hex digits.
CONFIG_ID_FORMAT = re.compile(r"sync_[0-9a-f]{32}")

#: The prefix of the ids the SDK draws for each entity, by the model a step names it after
#: (``Given the next sync run id is "run-789"`` pins the next ``run_`` id). A project whose own
#: operation draws ids with another prefix adds its model here.
ID_PREFIXES: dict[type, str] = {
    SyncConfig: "sync_",
    Integration: "int_",
    Connection: "conn_",
    FieldMapping: "map_",
    SyncRun: "run_",
}


def id_format(prefix: str) -> re.Pattern[str]:
    """The form of an id the SDK draws itself: ``prefix`` and 32 lowercase hex digits.

    >>> bool(id_format("run_").fullmatch("run_" + "0" * 32))
    True
    """
    return re.compile(re.escape(prefix) + r"[0-9a-f]{32}")


# Split on the commas that start a new target, so that a multi-host PostgreSQL URL
# (postgresql://h1,h2/db) stays whole.
_TARGET_SEPARATOR = re.compile(
    r",\s*(?=[A-Za-z][A-Za-z0-9+.-]*://|(?:" + "|".join(ALIASES) + r")\s*(?:,|$))"
)


def expect(condition: bool, message: str) -> None:
    """Raise AssertionError(``message``) unless ``condition``; unlike ``assert``, never
    compiled away by ``python -O``, so a step cannot pass without checking.

    >>> expect(1 + 1 == 3, "arithmetic is broken")
    Traceback (most recent call last):
    AssertionError: arithmetic is broken
    """
    if not condition:
        raise AssertionError(message)


def _in_memory(url: str) -> bool:
    scheme, _, rest = url.partition("://")
    path = rest.partition("?")[0]
    return scheme == "memory" or (scheme == "sqlite" and path in ("", "/:memory:", ":memory:"))


@frozen
class StorageTarget:
    """One storage the feature suite runs against: a test id (``name``) and a URL or alias.

    A store is *private* when each scenario gets a new, empty one (``memory://``, in-memory
    SQLite, the ``sqlite-file`` alias); any other URL is *shared* by every scenario that uses it,
    and may hold rows of earlier runs, so scenarios only look at their own org's rows there.
    """

    name: str
    url: str

    @property
    def private(self) -> bool:
        return self.url in ALIASES or _in_memory(self.url)

    def resolve(self, tmp_dir: Callable[[], Path]) -> str:
        """The storage URL for one scenario (``tmp_dir`` gives its temporary directory)."""
        if self.url == "sqlite-file":
            return "sqlite:///" + str(tmp_dir() / "sync_sdk.db")
        return ALIASES.get(self.url) or self.url


def _target_name(url: str) -> str:
    if url in ALIASES:
        return url
    if _in_memory(url):
        return "memory" if url.startswith("memory") else "sqlite-memory"
    # Never the URL itself in a test id: it may hold a password.
    return url.partition("://")[0].lower() or "storage"


def storage_targets(
    chosen: Sequence[str] | None, environ: Mapping[str, str]
) -> list[StorageTarget]:
    """The targets: ``chosen`` (the ``--sync-sdk-storage`` values), else
    ``$SYNC_SDK_TEST_STORAGE_URLS``, else :data:`DEFAULT_TARGETS`; plus
    ``$SYNC_SDK_TEST_POSTGRES_URL`` when it is set.

    >>> [t.url for t in storage_targets(None, {"SYNC_SDK_TEST_STORAGE_URLS": "memory, sqlite:///a.db"})]
    ['memory', 'sqlite:///a.db']
    """
    urls = [u.strip() for u in chosen or () if u.strip()]
    if not urls:
        urls = [u.strip() for u in _TARGET_SEPARATOR.split(environ.get(TARGETS_ENV_VAR, ""))]
        urls = [u for u in urls if u] or list(DEFAULT_TARGETS)
    postgres = environ.get(POSTGRES_ENV_VAR, "").strip()
    if postgres and postgres not in urls:
        urls.append(postgres)
    targets: list[StorageTarget] = []
    for url in dict.fromkeys(urls):  # each once, in order
        name = base = _target_name(url)
        n = 1
        while any(t.name == name for t in targets):
            n += 1
            name = f"{base}-{n}"
        targets.append(StorageTarget(name, url))
    return targets


class ScenarioIds:
    """The hub's id factories in a scenario: per id prefix, pinned ids first, in order, then
    random ones. Called with no argument it is the hub's ``id_factory`` (config ids, ``sync_``);
    :meth:`entity_id` is its ``entity_id_factory`` (``int_``, ``conn_``, ``map_``, ``run_``).

    An example declares a literal id (``sync-123``); pinning it makes the id comparable like any
    other key. In a shared store ids are unique across every scenario and run, so there the
    pinned id is the declared one plus this scenario's token.

        >>> ids = ScenarioIds(shared=False)
        >>> ids.pin("sync-123"), ids(), ids()[:5]
        ('sync-123', 'sync-123', 'sync_')
        >>> ids.pin("run-789", "run_"), ids(), ids.entity_id("run_")
        ('run-789', ..., 'run-789')
    """

    def __init__(self, *, shared: bool) -> None:
        self.token = uuid.uuid4().hex[:12]
        self._shared = shared
        self._pinned: dict[str, list[str]] = {}
        #: declared id -> the id the hub was told to give
        self.pins: dict[str, str] = {}
        #: every id handed to the hub, in order
        self.issued: list[str] = []

    def pin(self, declared: str, prefix: str = "sync_") -> str:
        """The next id drawn with ``prefix`` is ``declared`` (plus the token, when shared)."""
        actual = f"{declared}-{self.token}" if self._shared else declared
        self.pins[declared] = actual
        self._pinned.setdefault(prefix, []).append(actual)
        return actual

    def __call__(self) -> str:
        return self.entity_id("sync_")

    def entity_id(self, prefix: str) -> str:
        """The next id of an entity whose ids start with ``prefix``."""
        pinned = self._pinned.get(prefix)
        if pinned:
            entity_id = pinned.pop(0)
        else:
            entity_id = new_config_id() if prefix == "sync_" else new_id(prefix)
        self.issued.append(entity_id)
        return entity_id

    def actual(self, declared: object) -> object:
        """The id the hub was told to give for ``declared``, or ``declared`` when not pinned."""
        return self.pins.get(declared, declared) if isinstance(declared, str) else declared

    def was_pinned(self, config_id: str) -> bool:
        """Whether ``config_id`` is one a Given step pinned (else the SDK drew it).

        >>> ids = ScenarioIds(shared=False)
        >>> _ = ids.pin("sync-123")
        >>> ids.was_pinned(ids()), ids.was_pinned(ids())
        (True, False)
        """
        return config_id in self.pins.values()


class ScenarioClock:
    """The hub's clock in a scenario that drives time (``Given the time is "..."``, ``When 5
    minutes pass``): it stands still until moved, so that run times, leases and schedule
    slots are the ones the scenario names.

        >>> clock = ScenarioClock(datetime.fromisoformat("2026-01-01T12:00:00+00:00"))
        >>> clock.advance(timedelta(minutes=5))
        >>> clock().isoformat()
        '2026-01-01T12:05:00+00:00'
    """

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@frozen
class PublishedEvent:
    """An event as a subscriber received it, and what a separate read of storage saw at that
    moment: its subject, the payload's entity (``committed``), or why it could not be read
    (``read_error``)."""

    event: EventEnvelope
    committed: Any
    read_error: str | None


def subscribe(receiver: Callable[..., None], sender: object, stack: ExitStack) -> None:
    """Connect ``receiver`` to every event the registered contracts declare (and those a worker
    sends when a run ends), as sent by ``sender``, until ``stack`` closes (strong references: a
    scenario's receivers are often closures, which blinker's default weak ones would lose).

    >>> from sync_sdk import Actor, SyncHub
    >>> received, hub = [], SyncHub()
    >>> with ExitStack() as stack:
    ...     subscribe(lambda sender, event: received.append(event.key), hub, stack)
    ...     _ = hub.create_sync_config(integration_id="i", connection_id="c", name="n",
    ...         direction="INBOUND", source_object="a", target_object="b",
    ...         actor=Actor(id="u", org_id="o"))
    >>> received
    ['integration.syncConfig.created']
    """
    declared = [e for c in registry for e in c.side_effects.emits]
    for key in sorted({e.key for e in (*declared, *RUN_EVENTS)}):
        signal = signal_for(key)
        signal.connect(receiver, sender=sender, weak=False)
        stack.callback(signal.disconnect, receiver, sender=sender)


class EventRecorder:
    """A subscriber to every event the registered contracts declare, sent by one hub.

    When an event arrives it reads the payload's entity through ``read_committed(org_id,
    payload)``, a read separate from the write: an entity published before its commit is
    not there yet, which proves the order rather than assuming it.
    """

    def __init__(self, read_committed: Callable[[str, Any], object]) -> None:
        self._read = read_committed
        self.events: list[PublishedEvent] = []

    def __call__(self, sender: object, *, event: EventEnvelope) -> None:
        try:
            seen, error = self._read(event.org_id, event.payload), None
        except Exception as exc:  # recorded, then reported by the step that checks the order
            seen, error = None, f"{type(exc).__name__}: {exc}"
        self.events.append(PublishedEvent(event, seen, error))

    def connect(self, sender: object, stack: ExitStack) -> EventRecorder:
        """Receive the events ``sender`` sends until ``stack`` closes."""
        subscribe(self, sender, stack)
        return self

    def of(self, key: str) -> list[PublishedEvent]:
        return [p for p in self.events if p.event.key == key]


class FailingSubscriber:
    """A subscriber that raises on every event, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, sender: object, *, event: EventEnvelope) -> None:
        self.calls += 1
        raise RuntimeError(f"subscriber failing on purpose on {event.key} {event.id}")

    def connect(self, sender: object, stack: ExitStack) -> FailingSubscriber:
        subscribe(self, sender, stack)
        return self


@define
class Call:
    """One call a step made: what, as whom, and the result or the error. ``operation`` is the
    key of the contract it ran (None for a call that is not an operation, such as a read)."""

    action: str
    caller: Actor | None
    input: object = None
    result: Any = None
    error: SyncSdkError | None = None
    events_before: int = 0
    stored_before: Mapping[str, int] = field(factory=dict)
    operation: str | None = None

    def describe(self) -> str:
        if self.error is not None:
            return f"{self.action} raised {type(self.error).__name__}: {self.error}"
        return f"{self.action} returned {self.result!r}"

    @property
    def outputs(self) -> list[Any]:
        """The entities the call returned: a batch's, one, or none (a failure, a listing)."""
        if self.error is not None or self.result is None or isinstance(self.result, Page):
            return []
        return list(self.result) if isinstance(self.result, list) else [self.result]


def _stored(storage: Storage, orgs: Sequence[str], every_org: bool) -> dict[str, int]:
    """Row counts by what they are: configs, audit records, outbox events, then the rows of
    each built-in entity table; of every org (``every_org``: a private store) or per org."""
    counts: dict[str, int] = {}
    with storage.unit_of_work(write=False) as uow:
        if every_org:
            counts |= {
                "sync configs": uow.configs.count(),
                "audit records": uow.audit.count(),
                "outbox events": uow.outbox.count(),
            }
        else:
            outbox = uow.outbox.list()
            for org in orgs:
                counts[f"sync configs of {org!r}"] = uow.configs.count(org)
                counts[f"audit records of {org!r}"] = len(uow.audit.list(org))
                counts[f"outbox events of {org!r}"] = sum(1 for e in outbox if e.org_id == org)
        for table in BUILTIN_TABLES:
            for org in orgs:
                counts[f"{table.name} of {org!r}"] = uow.table(table).count(org)
    return counts


def _entity_tables() -> dict[type, Table[Any]]:
    """The table of each entity model: the built-in ones, and those of registered operations."""
    tables = {t.model: t for t in BUILTIN_TABLES}
    for operation in registry.operations():
        tables.update((t.model, t) for t in operation.tables if isinstance(t, Table))
    return tables


def read_entity(storage: Storage, org_id: str, entity: Any) -> Any:
    """``entity`` as ``storage`` holds it in ``org_id`` (by its type and id), or None.

    Configs are read from the config tables, any other entity from the table its model is
    declared in (:data:`sync_sdk.operations.BUILTIN_TABLES`, or an operation's ``tables``).
    """
    with storage.unit_of_work(write=False) as uow:
        if isinstance(entity, SyncConfig):
            return uow.configs.get(org_id, entity.id)
        table = _entity_tables().get(type(entity))
        if table is None:
            raise LookupError(f"no table holds {type(entity).__name__} rows")
        return uow.table(table).get(org_id, entity.id)


@contextmanager
def _without_secret_key_variable() -> Iterator[None]:
    saved = os.environ.pop(SECRET_KEY_VARIABLE, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[SECRET_KEY_VARIABLE] = saved


@define
class SyncScenario:
    """The state of one scenario: the hub, the acting user, who calls, and every call made.

    ``actor`` is the acting user (authenticated, in an org of its own); ``caller`` is who the
    next call is made as (set by the Given steps; None until then). ``secret_key`` is the
    hub's key for connection credentials (a new Fernet key per scenario).
    """

    hub: SyncHub
    target: StorageTarget
    url: str
    actor: Actor
    ids: ScenarioIds
    events: EventRecorder
    default_input: Mapping[str, Any]
    reader: Storage
    stack: ExitStack = field(factory=ExitStack)
    caller: Actor | None = None
    #: whether a Given step chose the caller (else a contract's own Given makes it the user)
    caller_chosen: bool = False
    idempotency_key: str | None = None
    calls: list[Call] = field(factory=list)
    failing: FailingSubscriber | None = None
    second: EventRecorder | None = None
    secret_key: str | None = None
    #: what a Given step set aside for later steps (a marker file's path, ...)
    notes: dict[str, Any] = field(factory=dict)
    #: the hub's clock, once a step drives time (``Given the time is "..."``)
    clock: ScenarioClock | None = None

    @classmethod
    def open(
        cls,
        hub: SyncHub,
        target: StorageTarget,
        url: str,
        actor: Actor,
        ids: ScenarioIds,
        default_input: Mapping[str, Any],
        *,
        secret_key: str | None = None,
    ) -> SyncScenario:
        """Set up a scenario on ``hub``; :meth:`close` undoes it.

        The recorder's reads go through a second connection when the store can be reopened
        (files, servers), else through a separate unit of work on the hub's own store, which
        only sees committed data.
        """
        stack = ExitStack()
        reader = hub.storage
        if not _in_memory(url):
            reader = open_storage(url)
            stack.callback(reader.close)

        def read_committed(org_id: str, payload: Any) -> object:
            return read_entity(reader, org_id, payload)

        events = EventRecorder(read_committed).connect(hub, stack)
        return cls(
            hub,
            target,
            url,
            actor,
            ids,
            events,
            default_input,
            reader,
            stack,
            secret_key=secret_key,
        )

    def close(self) -> None:
        self.stack.close()

    # -- calls ----------------------------------------------------------------------------

    def _orgs(self, caller: Actor | None) -> list[str] | None:
        if self.target.private:
            return None  # a private store: every row counts
        # A shared store: the orgs a call as ``caller`` could write to.
        orgs = {self.actor.org_id, Actor.anonymous().org_id}
        if caller is not None:
            orgs.add(caller.org_id)
        return sorted(orgs)

    def stored(self, caller: Actor | None = None) -> dict[str, int]:
        """Row counts (see :func:`_stored`): in a shared store, of the orgs a call as
        ``caller`` could write to; in a private one, configs, audit records and outbox events of
        every org and entity rows of the orgs the scenario knows."""
        orgs = self._orgs(caller)
        if orgs is not None:
            return _stored(self.hub.storage, orgs, every_org=False)
        known = {self.actor.org_id, self.other_org_user().org_id, Actor.anonymous().org_id}
        if caller is not None:
            known.add(caller.org_id)
        return _stored(self.hub.storage, sorted(known), every_org=True)

    def create(
        self,
        data: object,
        *,
        action: str = "User creates sync config",
        keywords: Mapping[str, Any] | None = None,
    ) -> Call:
        """Call ``create_sync_config`` with the wire mapping ``data``, as the caller, with the
        idempotency key; with ``keywords``, call it with those snake_case keywords instead
        (``data`` is then their wire form, what the Then steps compare with)."""
        call = Call(
            action,
            self.caller,
            data,
            events_before=len(self.events.events),
            stored_before=self.stored(self.caller),
            operation=CREATE_SYNC_CONFIG.key,
        )
        try:
            if keywords is not None:
                call.result = self.hub.create_sync_config(
                    actor=self.caller, idempotency_key=self.idempotency_key, **keywords
                )
            else:
                call.result = self.hub.create_sync_config(
                    data,  # type: ignore[arg-type]  # wrong inputs are the point of some scenarios
                    actor=self.caller,
                    idempotency_key=self.idempotency_key,
                )
        except SyncSdkError as err:
            call.error = err
        self.calls.append(call)
        return call

    def create_batch(
        self, items: object, *, action: str = "User creates sync configs in a batch"
    ) -> Call:
        """Call ``create_sync_configs`` with ``items``, as the caller."""
        call = Call(
            action,
            self.caller,
            items,
            events_before=len(self.events.events),
            stored_before=self.stored(self.caller),
            operation=CREATE_SYNC_CONFIG.key,
        )
        try:
            call.result = self.hub.create_sync_configs(
                items,  # type: ignore[arg-type]
                actor=self.caller,
            )
        except SyncSdkError as err:
            call.error = err
        self.calls.append(call)
        return call

    def list_configs(self, *, limit: object = None, offset: object = None, action: str) -> Call:
        """Call ``list_sync_configs`` as the caller (its defaults for a None bound)."""
        bounds = {k: v for k, v in (("limit", limit), ("offset", offset)) if v is not None}
        call = Call(
            action,
            self.caller,
            bounds,
            events_before=len(self.events.events),
            stored_before=self.stored(self.caller),
        )
        try:
            call.result = self.hub.list_sync_configs(actor=self.caller, **bounds)  # type: ignore[arg-type]
        except SyncSdkError as err:
            call.error = err
        self.calls.append(call)
        return call

    def run(self, key: str, data: object, *, action: str) -> Call:
        """Run the registered operation ``key`` through ``SyncHub.execute`` with the wire
        input ``data``, as the caller (a command with the idempotency key). Ids the input names
        (``id``, ``...Id``) that a Given step pinned are sent as the ids the hub gave."""
        try:
            contract: OperationContract | None = registry.get(key)
        except KeyError:  # the hub says so: NotFound
            contract = None
        sent = self.translate(data)
        call = Call(
            action,
            self.caller,
            sent,
            events_before=len(self.events.events),
            stored_before=self.stored(self.caller),
            operation=key if contract is None else contract.key,
        )
        is_command = contract is not None and contract.meta.kind == "command"
        try:
            call.result = self.hub.execute(
                key,
                sent,  # type: ignore[arg-type]  # wrong inputs are the point of some scenarios
                actor=self.caller,
                idempotency_key=self.idempotency_key if is_command else None,
            )
        except SyncSdkError as err:
            call.error = err
        self.calls.append(call)
        return call

    def translate(self, data: object) -> object:
        """``data`` with the pinned ids it names (keys ``id`` and ``...Id``) as the hub gave
        them (the same ids, but in a shared store; other values are never touched)."""
        if not isinstance(data, Mapping):
            return data
        return {
            key: self.ids.actual(value) if key == "id" or key.endswith("Id") else value
            for key, value in data.items()
        }

    def default_input_of(self, key: str) -> dict[str, Any]:
        """What a verbatim phrase sends to the operation ``key``: for configs the scenario's
        ``default_input``, else the contract's first example's input, naming the last config
        the scenario created where it names one."""
        if key == CREATE_SYNC_CONFIG.key:
            return dict(self.default_input)
        contract = registry.get(key)
        examples = contract.acceptance.examples
        expect(bool(examples), f"{key} has no example to take an input from")
        data = dict(examples[0].input)
        if CONFIG_INPUT_KEY in data:
            configs = self.all_created()
            expect(bool(configs), f"{key} needs a sync config: Given Sync config exists")
            data[CONFIG_INPUT_KEY] = configs[-1].id
        return data

    def calls_of(self, key: str) -> list[Call]:
        """The scenario's calls of the operation ``key``, in order."""
        return [c for c in self.calls if c.operation == key]

    def last_of(self, contracts: Sequence[OperationContract], what: str) -> Call:
        """The last call of any of ``contracts``; AssertionError unless it succeeded."""
        keys = {c.key for c in contracts}
        calls = [c for c in self.calls if c.operation in keys]
        expect(bool(calls), f"no call of {' or '.join(sorted(keys)) or 'any operation'} {what}")
        call = calls[-1]
        expect(call.error is None, f"{call.action} failed: {call.describe()}")
        expect(call.caller is not None, f"{call.action} succeeded without an actor")
        return call

    def read_entity(self, entity: Any, actor: Actor) -> Any:
        """``entity`` as storage holds it in ``actor``'s org, read through the recorder's
        store (a second connection for files and servers)."""
        return read_entity(self.reader, actor.org_id, entity)

    def use_hub(self, *, ids: bool = True, secret_key: bool = True) -> SyncHub:
        """From now on, call another hub on the same store, with the event recorder connected:
        without the scenario's id factories (``ids=False``: ids drawn as a user's hub draws
        them) or without a secret key (``secret_key=False``, whatever
        ``$SYNC_SDK_SECRET_KEY`` says); on the scenario's :attr:`clock` once it has one."""
        factories: dict[str, Any] = {}
        if ids:
            factories = {"id_factory": self.ids, "entity_id_factory": self.ids.entity_id}
        if self.clock is not None:
            factories["clock"] = self.clock
        if secret_key:
            hub = SyncHub(self.hub.storage, secret_key=self.secret_key, **factories)
        else:
            with _without_secret_key_variable():
                hub = SyncHub(self.hub.storage, **factories)
        self.stack.callback(hub.close)
        self.events.connect(hub, self.stack)
        self.hub = hub
        return hub

    def use_hub_ids(self) -> SyncHub:
        """From now on, call a hub that draws its own ids (no id factory) on the same store,
        with the event recorder connected: the path every user's hub takes."""
        return self.use_hub(ids=False)

    def read_as(self, actor: Actor, config_id: str, *, action: str) -> Call:
        call = Call(
            action,
            actor,
            config_id,
            events_before=len(self.events.events),
            stored_before=self.stored(actor),
        )
        try:
            call.result = self.hub.get_sync_config(config_id, actor=actor)
        except SyncSdkError as err:
            call.error = err
        self.calls.append(call)
        return call

    # -- what the Then steps look at ------------------------------------------------------

    @property
    def last(self) -> Call:
        expect(bool(self.calls), "no call was made: the scenario needs a When step")
        return self.calls[-1]

    def creates(self) -> list[Call]:
        """The calls that created sync configs (one, or a batch), of any step."""
        return self.calls_of(CREATE_SYNC_CONFIG.key)

    def created(self) -> tuple[SyncConfig, Actor]:
        """The config the last create call returned, and who made it; AssertionError if it
        failed (or was a batch)."""
        configs, caller = self.created_configs()
        call = self.creates()[-1]
        expect(
            isinstance(call.result, SyncConfig),
            f"{call.action} returned {call.result!r}, not a SyncConfig",
        )
        return configs[0], caller

    def created_configs(self) -> tuple[list[SyncConfig], Actor]:
        """The configs the last create call returned (one, or a batch's), and who made it;
        AssertionError if it failed."""
        creates = self.creates()
        expect(bool(creates), "User creates sync config was never called")
        call = creates[-1]
        expect(call.error is None, f"no sync config was created: {call.describe()}")
        configs = call.result if isinstance(call.result, list) else [call.result]
        expect(
            all(isinstance(c, SyncConfig) for c in configs),
            f"{call.action} returned {call.result!r}, not sync configs",
        )
        caller = call.caller
        if caller is None:
            raise AssertionError(f"{call.action} succeeded without an actor: {call.describe()}")
        return configs, caller

    def created_ids(self) -> set[str]:
        return {config.id for config in self.all_created()}

    def all_created(self) -> list[SyncConfig]:
        """Every config the scenario's create calls returned, in order (a replay's again)."""
        configs: list[SyncConfig] = []
        for call in self.creates():
            result = call.result if isinstance(call.result, list) else [call.result]
            configs.extend(c for c in result if isinstance(c, SyncConfig))
        return configs

    def read_back(self, config_id: str, actor: Actor) -> SyncConfig | None:
        """The config as storage has it, read through a new connection when the store can be
        reopened (files, servers), else through the hub's own store."""
        if _in_memory(self.url):
            return _get(self.hub, config_id, actor)
        with SyncHub(self.url) as fresh:
            return _get(fresh, config_id, actor)

    def other_org_user(self) -> Actor:
        return Actor(id=f"{self.actor.id}-other", org_id=f"{self.actor.org_id}-other")

    def where(self) -> str:
        """The storage, for failure messages (credentials redacted)."""
        return f"{self.target.name} ({redact_url(self.url)})"


def _get(hub: SyncHub, config_id: str, actor: Actor) -> SyncConfig | None:
    try:
        return hub.get_sync_config(config_id, actor=actor)
    except NotFound:
        return None


def canonical(value: object) -> str:
    """JSON text that tells ``false`` from ``0`` and ``1.0`` from ``1`` (Python's == does not).

    >>> canonical(False) == canonical(0)
    False
    """
    return json.dumps(value, sort_keys=True, default=str)


def wire(config: Any) -> dict[str, Any]:
    """A model's wire dict (``to_dict()``: a config, a run, a page...) as JSON would carry it.

    >>> from sync_sdk.models import SyncDirection
    >>> wire(SyncConfig("s1", "i", "c", "n", SyncDirection.INBOUND, "a", "b"))["direction"]
    'INBOUND'
    """
    result: dict[str, Any] = json.loads(json.dumps(config.to_dict(), default=str))
    return result
