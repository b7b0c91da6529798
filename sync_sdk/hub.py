"""``SyncHub``: the in-process client. validate -> authorize -> unit of work -> commit -> publish.

    >>> from sync_sdk import SyncHub, Actor
    >>> user = Actor(id="user-1", org_id="org-1")
    >>> with SyncHub() as hub:
    ...     cfg = hub.create_sync_config({"integrationId": "int-1", "connectionId": "conn-1",
    ...         "name": "Contacts Sync", "direction": "OUTBOUND",
    ...         "sourceObject": "contacts", "targetObject": "contacts"}, actor=user)
    ...     hub.get_sync_config(cfg.id, actor=user) == cfg
    True

A hub is safe to share between threads: the backends serialise their transactions (SQLite and
memory hold one lock per store, PostgreSQL uses a connection pool), and the hub's own state is a
list of delivered event ids behind a lock.

Events leave through a transactional outbox: the config, its audit record and its event are one
transaction; receivers are called after commit. Delivery is at-least-once: an event whose
receivers all returned is marked delivered in the hub's next transaction (no extra commit on the
hot path), one whose receiver raised stays pending for :meth:`SyncHub.redeliver_pending`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import attrs

from sync_sdk.contracts import (
    ADD_FIELD_MAPPING,
    CANCEL_SYNC_RUN,
    CREATE_CONNECTION,
    CREATE_INTEGRATION,
    CREATE_SYNC_CONFIG,
    LIST_SYNC_RUNS,
    TRIGGER_SYNC,
    UPDATE_SYNC_CONFIG,
    registry,
)
from sync_sdk.contracts.registry import Operation
from sync_sdk.contracts.spec import Auth, EmittedEvent, OperationContract
from sync_sdk.credentials import CredentialCipher, SecretKeyRequired
from sync_sdk.errors import (
    AuthenticationRequired,
    ConfigurationTypeError,
    Conflict,
    EventNotDeclared,
    NotFound,
    PermissionDenied,
    StorageError,
    ValidationError,
    ValidationIssue,
    safe_repr,
)
from sync_sdk.events import (
    EventEnvelope,
    declared_version,
    envelope_from_outbox,
    listening,
    send,
)
from sync_sdk.ids import new_id, new_ids
from sync_sdk.models import (
    _WIRE_MODELS,
    Connection,
    CreateSyncConfigInput,
    FieldMapping,
    Integration,
    SyncConfig,
    SyncRun,
    _json_encoder,
    camel_case,
    converter,
)
from sync_sdk.operations import BUILTIN_TABLES, Context
from sync_sdk.operations.schedules import new_schedule
from sync_sdk.operations.sync import with_mappings
from sync_sdk.operations.tables import (
    CONNECTIONS,
    IDEMPOTENCY_KEYS,
    INTEGRATIONS,
    SCHEDULES,
    SYNC_RUNS,
    IdempotencyRecord,
)
from sync_sdk.records import Actor, AuditRecord, OutboxEvent, Page
from sync_sdk.signals import signal_for
from sync_sdk.storage import Storage, UnitOfWork, default_storage_url, open_storage
from sync_sdk.storage.tables import Table, UniqueViolation, json_text
from sync_sdk.validation import InputFields, create_input_fields, text_problems, validator_for

__all__ = ["SyncHub"]

T = TypeVar("T")
Clock = Callable[[], datetime]
IdFactory = Callable[[], str]
# (event id, key, version, payload) of an event committed by a command
_Committed = tuple[str, str, str, Any]
# A unit of work that broke a unique constraint is run again this many times in all: the second
# run sees the row that won (the active run, the idempotency key) and answers from it
_ATTEMPTS = 3

_CREATED = CREATE_SYNC_CONFIG.side_effects.emits[0]
_MAX_PAGE = 1000
_MAX_REDELIVER = 10_000  # claimed events are held in memory, and delivered within the lease
_MAX_LEASE = 86_400  # seconds: a day
# Both SQL backends count rows in 64-bit integers: a larger offset is past the end all the same
_MAX_OFFSET = 2**63 - 1
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")  # NUL (PostgreSQL text), lone surrogates


def _utc_now() -> datetime:
    return datetime.now(UTC)


def new_config_id() -> str:
    """A fresh config id: ``sync_`` and 32 hex digits (time-ordered, unique)."""
    return new_id("sync_")


def _authorize(actor: object, auth: Auth) -> Actor:
    """Enforce ``policy.auth``; returns the actor as an :class:`Actor`."""
    if auth == "anonymous":
        return actor if isinstance(actor, Actor) else Actor.anonymous()
    if not isinstance(actor, Actor) or not actor.is_authenticated:
        raise AuthenticationRequired(
            f"this operation requires an authenticated actor (policy auth: {auth})"
        )
    user_id, org_id = actor.id, actor.org_id
    # the ids are written and queried: the input's character rules apply (no length limit);
    # printable text has none of the characters they refuse
    if not (user_id.isprintable() and org_id.isprintable()):
        issues = text_problems("actor.id", user_id, max_length=None)
        issues += text_problems("actor.orgId", org_id, max_length=None)
        if issues:
            raise ValidationError(issues)
    if auth == "admin" and "admin" not in actor.roles:
        raise PermissionDenied("this operation requires an admin actor (policy auth: admin)")
    return actor


def _check_idempotency_key(key: object) -> str | None:
    """The key, held to the rules of the input's string fields."""
    if key is None:
        return None
    issues = text_problems("idempotencyKey", key)
    if issues:
        raise ValidationError(issues)
    return key  # type: ignore[return-value]


def _request_hash(fields: InputFields) -> str:
    canonical = json.dumps(
        CreateSyncConfigInput(*fields).to_dict(), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _int_issue(path: str, value: object, low: int, high: int | None) -> ValidationIssue | None:
    """The problem with an integer argument: ``invalid_type`` (bools are not integers here),
    or ``out_of_range`` outside ``low..high``."""
    if type(value) is not int:
        return ValidationIssue(
            path, "invalid_type", f"must be an integer, not {type(value).__name__}"
        )
    if value < low:
        return ValidationIssue(path, "out_of_range", f"must be at least {low}")
    if high is not None and value > high:
        return ValidationIssue(path, "out_of_range", f"must be at most {high}")
    return None


def _check_arguments(*issues: ValidationIssue | None) -> None:
    """Raise one :class:`ValidationError` naming every problem found (``None``: no problem)."""
    found = [issue for issue in issues if issue is not None]
    if found:
        raise ValidationError(found)


def _lease_issue(lease: object) -> ValidationIssue | None:
    if isinstance(lease, bool) or not isinstance(lease, int | float):
        return ValidationIssue(
            "lease", "invalid_type", f"must be a number of seconds, not {type(lease).__name__}"
        )
    if not 0 < lease <= _MAX_LEASE:  # also false for nan
        return ValidationIssue(
            "lease", "out_of_range", f"must be more than 0 and at most {_MAX_LEASE} seconds"
        )
    return None


def _subject_issue(subject_id: object) -> ValidationIssue | None:
    if subject_id is None:
        return None
    if type(subject_id) is not str:
        return ValidationIssue(
            "subjectId", "invalid_type", f"must be a string, not {type(subject_id).__name__}"
        )
    # No stored id holds these, and the SQL drivers refuse them: say so, rather than fail there
    if _UNSTORABLE.search(subject_id):
        return ValidationIssue(
            "subjectId", "invalid_characters", "must be UTF-8 encodable text without NUL"
        )
    return None


def _checked_ids(factory: IdFactory) -> IdFactory:
    """``factory``, with each id it returns checked to be a ``str`` (a cheap ``type`` check)."""

    def next_id() -> str:
        config_id = factory()
        if type(config_id) is not str:
            raise ConfigurationTypeError(
                f"id_factory must return a str, not {type(config_id).__name__}"
            )
        return config_id

    return next_id


class Effects:
    """The events and audit records a unit of work writes beside its own rows (see
    :meth:`SyncHub._transact`): a command's, a worker's, the scheduler's."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rows: list[OutboxEvent] = []
        self.audits: list[AuditRecord] = []
        self.events: list[tuple[Actor, _Committed]] = []

    def emit(
        self, emitted: EmittedEvent, payload: Any, actor: Actor, subject: str, *audit: str
    ) -> str:
        """Write the ``emitted`` event about ``subject`` (and the ``audit`` keys' records
        naming it); its id."""
        if not isinstance(payload, emitted.payload):
            raise EventNotDeclared(
                f"{emitted.key} payload must be {emitted.payload.__name__},"
                f" not {type(payload).__name__}"
            )
        event_id = new_id("evt_")
        self.rows.append(
            OutboxEvent(
                event_id,
                emitted.key,
                emitted.version,
                self.now,
                actor.id,
                actor.org_id,
                subject,
                _payload_json(payload),
            )
        )
        self.events.append((actor, (event_id, emitted.key, emitted.version, payload)))
        for key in audit:
            self.audit(key, actor, subject, event_id)
        return event_id

    def audit(self, key: str, actor: Actor, subject: str, event_id: str) -> None:
        """Write the audit record ``key`` about ``subject`` (``event_id``: its event, or
        ``""``)."""
        self.audits.append(AuditRecord(key, actor.id, actor.org_id, subject, event_id, self.now))


def _checked_entity_ids(factory: Callable[[str], str]) -> Callable[[str], str]:
    """``factory``, with each id it returns checked to be a ``str``."""

    def next_id(prefix: str) -> str:
        entity_id = factory(prefix)
        if type(entity_id) is not str:
            raise ConfigurationTypeError(
                f"entity_id_factory must return a str, not {type(entity_id).__name__}"
            )
        return entity_id

    return next_id


_COMPILED_JSON = frozenset(_WIRE_MODELS)


def _payload_json(payload: Any) -> str:
    """An event payload as stored in the outbox: the compiled encoder of sync_sdk's own models
    (as a config's event has always been written), else the wire dict as JSON."""
    model: type = type(payload)
    if model in _COMPILED_JSON:
        return _json_encoder(model)(payload)
    return json_text(_wire_of(payload))


def _wire_of(output: Any) -> Any:
    to_dict = getattr(output, "to_dict", None)
    if to_dict is None:  # an application's own model: the converter's wire form
        return converter().unstructure(output) if attrs.has(type(output)) else output
    return to_dict()


def _replay_result(
    contract: OperationContract, found: IdempotencyRecord, request_hash: str | None
) -> Any:
    """The first result of an idempotency key, or :class:`Conflict` for other input."""
    if found.operation != contract.key or found.request_hash != request_hash:
        raise Conflict(
            f"this idempotency key was already used with a different input (for {found.operation})"
        )
    wire = json.loads(found.result_json)
    # a model with its own from_dict (an application's) says how its wire form reads back
    from_dict = getattr(contract.io.output, "from_dict", None)
    return converter().structure(wire, contract.io.output) if from_dict is None else from_dict(wire)


class SyncHub:
    """The sync_sdk client: create, read and list sync configs under a contract's rules.

    ``storage`` is a backend object or URL (see :mod:`sync_sdk.storage`); by default
    ``$SYNC_SDK_STORAGE_URL``, else a private in-memory SQLite database. ``clock`` returns the
    current aware datetime; ``id_factory`` returns new config ids (each a ``str``, never used
    before: :class:`ConfigurationTypeError` otherwise, or :class:`Conflict` for a used one), and
    ``entity_id_factory(prefix)`` the ids of the other entities (``int_``, ``conn_``, ``map_``,
    ``run_``; by default the prefix and 32 hex digits), under the same rules.
    A setting of the wrong type or an unknown storage URL raises :class:`ConfigurationError`.
    ``secret_key`` encrypts connection credentials at rest: a Fernet key (str or bytes, as
    ``Fernet.generate_key()`` makes it) or a list of them, newest first, for rotation; by
    default ``$SYNC_SDK_SECRET_KEY``. Without one, a connection with credentials is refused
    (:class:`~sync_sdk.credentials.SecretKeyRequired`).
    """

    contract: OperationContract = CREATE_SYNC_CONFIG

    def __init__(
        self,
        storage: Storage | str | None = None,
        *,
        clock: Clock | None = None,
        id_factory: IdFactory | None = None,
        entity_id_factory: Callable[[str], str] | None = None,
        secret_key: str | bytes | Sequence[str | bytes] | None = None,
    ) -> None:
        is_backend = callable(getattr(storage, "unit_of_work", None))
        if storage is not None and not isinstance(storage, str) and not is_backend:
            raise ConfigurationTypeError(
                "storage must be a storage URL (str) or a Storage object (with unit_of_work()),"
                f" not {type(storage).__name__}"
            )
        for name, value in (
            ("clock", clock),
            ("id_factory", id_factory),
            ("entity_id_factory", entity_id_factory),
        ):
            if value is not None and not callable(value):
                raise ConfigurationTypeError(f"{name} must be callable, not {type(value).__name__}")
        self._owns_storage = not hasattr(storage, "unit_of_work")
        if storage is None:
            storage = default_storage_url()
        self.storage: Storage = open_storage(storage) if isinstance(storage, str) else storage
        self._clock = clock or _utc_now
        self._id_factory = id_factory or new_config_id
        self._entity_ids = (
            new_id if entity_id_factory is None else _checked_entity_ids(entity_id_factory)
        )
        self._lock = threading.Lock()
        self._delivered: list[str] = []  # delivered events, marked in the next transaction
        self._in_flight: set[str] = set()  # committed events this hub is delivering now
        self._closed = False
        self._settled = threading.Condition(self._lock)  # close() waits on it for _in_flight
        self._delivering = threading.local()  # .events: those this thread's receivers hold
        self._signal = signal_for(_CREATED.key)
        # The declared event, checked once here rather than for every config
        self._event = (_CREATED.key, declared_version(self.contract, _CREATED.key, SyncConfig))
        self._audit_keys = self.contract.side_effects.audit
        # the application's key for connection credentials, else $SYNC_SDK_SECRET_KEY, else none
        self._cipher = (
            CredentialCipher.from_env() if secret_key is None else CredentialCipher(secret_key)
        )
        self._tables: set[str] = set()
        self._ensure(BUILTIN_TABLES)

    def __repr__(self) -> str:
        return f"SyncHub({self.storage.url!r})"

    # -- commands ---------------------------------------------------------------------------

    def create_sync_config(
        self,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        actor: Actor | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> SyncConfig:
        """Create a sync config (contract ``integration.syncConfig.create`` v1.0.0).

        Give the input as a wire (camelCase) mapping or as snake_case keywords, not both::

            hub.create_sync_config(integration_id="int-1", connection_id="conn-1",
                name="Contacts Sync", direction="OUTBOUND", source_object="contacts",
                target_object="contacts", actor=user)

        Raises :class:`ValidationError` (nothing written), :class:`AuthenticationRequired`,
        :class:`Conflict` (an ``idempotency_key`` reused with other input), or
        :class:`StorageError`. With an ``idempotency_key`` seen before in the actor's org and the
        same input, returns the first config and writes and publishes nothing.
        """
        if fields:
            if data is not None:
                raise TypeError("pass the input as a mapping or as keywords, not both")
            data = {camel_case(name): value for name, value in fields.items()}
        validated = create_input_fields(data)
        key = _check_idempotency_key(idempotency_key)
        user = _authorize(actor, self.contract.policy.auth)
        return self._create([validated], user, key)[0]

    def create_sync_configs(
        self, items: Sequence[Mapping[str, Any]], /, *, actor: Actor | None = None
    ) -> list[SyncConfig]:
        """Create several sync configs in one transaction: all of them, or none.

        Each item is a wire mapping, validated as by :meth:`create_sync_config`; one invalid item
        rejects the whole batch, its issues' paths prefixed with the item's index (``[3].name``).
        Each config gets its own audit record and event, published after the one commit::

            configs = hub.create_sync_configs([input_a, input_b], actor=user)
        """
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
            raise ValidationError(
                [ValidationIssue("", "invalid_type", "items must be a sequence of mappings")]
            )
        values: list[InputFields] = []
        issues: list[ValidationIssue] = []
        for index, item in enumerate(items):
            try:
                values.append(create_input_fields(item))
            except ValidationError as err:
                issues.extend(
                    attrs.evolve(i, path=f"[{index}].{i.path}" if i.path else f"[{index}]")
                    for i in err.issues
                )
        if issues:
            raise ValidationError(issues)
        user = _authorize(actor, self.contract.policy.auth)
        return self._create(values, user, None) if values else []

    def _create(
        self, values: Sequence[InputFields], actor: Actor, key: str | None
    ) -> list[SyncConfig]:
        now = self._now()
        configs, event_ids, stored, audits = self._build(values, actor, now)
        # the rows of cron schedules, of the configs that have one (rare: not the hot path)
        schedules = [
            schedule
            for config in configs
            if config.schedule_enabled and (schedule := new_schedule(config, now)) is not None
        ]
        request_hash = None if key is None else _request_hash(values[0])
        with self._lock:  # in flight from here: close() waits for these events
            if self._closed:
                raise StorageError("hub is closed")
            self._in_flight.update(event_ids)
        marks = self._take_delivered()
        committed = False
        try:
            with self.storage.unit_of_work() as uow:
                if key is not None:
                    found = uow.table(IDEMPOTENCY_KEYS).get(actor.org_id, key)
                    if found is not None:
                        if marks:
                            uow.outbox.mark_delivered(marks, now)
                            uow.commit()
                            marks = []
                        return [_replay_result(self.contract, found, request_hash)]
                uow.configs.add_many(
                    configs, org_id=actor.org_id, created_by=actor.id, created_at=now
                )
                if schedules:
                    table = uow.table(SCHEDULES)
                    for schedule in schedules:
                        table.add(actor.org_id, schedule)
                uow.audit.add_many(audits)
                uow.outbox.add_many(stored)
                if key is not None:
                    record = IdempotencyRecord(
                        id=key,
                        operation=self.contract.key,
                        request_hash=request_hash or "",
                        result_json=configs[0].to_json(),
                        created_at=now,
                    )
                    uow.table(IDEMPOTENCY_KEYS).add(actor.org_id, record)
                if marks:
                    uow.outbox.mark_delivered(marks, now)
                uow.commit()
                committed = True
                marks = []
        except UniqueViolation:
            if key is None:
                raise
            # Another transaction stored this key between our lookup and our insert.
            with self.storage.unit_of_work(write=False) as uow:
                found = uow.table(IDEMPOTENCY_KEYS).get(actor.org_id, key)
            if found is None:  # pragma: no cover - the key cannot vanish once committed
                raise
            return [_replay_result(self.contract, found, request_hash)]
        finally:
            if marks:
                self._return_delivered(marks)
            if not committed:
                self._settle(event_ids, ())
        self._publish(configs, event_ids, actor, now)
        return configs

    def _build(
        self, values: Sequence[InputFields], actor: Actor, now: datetime
    ) -> tuple[list[SyncConfig], list[str], list[OutboxEvent], list[AuditRecord]]:
        """The configs, their event ids, outbox rows and audit records, before anything is
        written (the envelopes receivers see are built at publication, if anyone listens)."""
        configs: list[SyncConfig] = []
        stored: list[OutboxEvent] = []
        audits: list[AuditRecord] = []
        count = len(values)
        # the default factory draws a batch's ids in one go
        if self._id_factory is new_config_id:
            config_ids = iter(new_ids("sync_", count))
            next_config_id: IdFactory = config_ids.__next__
        else:
            next_config_id = _checked_ids(self._id_factory)
        event_ids = new_ids("evt_", count)
        key, version = self._event
        actor_id, org_id = actor.id, actor.org_id
        audit_keys = self._audit_keys
        for fields, event_id in zip(values, event_ids, strict=True):
            config = SyncConfig(next_config_id(), *fields)
            config_id = config.id
            configs.append(config)
            stored.append(
                OutboxEvent(
                    event_id, key, version, now, actor_id, org_id, config_id, config.to_json()
                )
            )
            for audit_key in audit_keys:
                audits.append(AuditRecord(audit_key, actor_id, org_id, config_id, event_id, now))
        return configs, event_ids, stored, audits

    def _publish(
        self, configs: list[SyncConfig], event_ids: list[str], actor: Actor, now: datetime
    ) -> None:
        """Send committed events; those that every receiver took are marked later.

        With no receiver connected (or the signal muted) every event counts as delivered, as
        :func:`~sync_sdk.events.send` would say, and no envelope is built.
        """
        delivered = event_ids
        signal = self._signal
        try:
            if listening(signal):
                delivered = []
                # a receiver that closes the hub must not wait for its own delivery
                mine: set[str] | None = getattr(self._delivering, "events", None)
                if mine is None:
                    mine = self._delivering.events = set()
                mine.update(event_ids)
                try:
                    key, version = self._event
                    for config, event_id in zip(configs, event_ids, strict=True):
                        event = EventEnvelope(
                            event_id, key, version, now, config, actor.id, actor.org_id
                        )
                        if send(signal, self, event):
                            delivered.append(event_id)
                finally:
                    mine.difference_update(event_ids)
        finally:
            self._settle(event_ids, delivered)

    def redeliver_pending(self, *, limit: int = 1000, lease: float = 60.0) -> int:
        """Send every undelivered event again; returns how many were delivered this time.

        Events are claimed with a lease of ``lease`` seconds, so that hubs in other processes
        running this at the same time skip them; those a receiver fails on stay pending. At
        most ``limit`` (1..10,000) events per call; ``lease`` is more than 0 and at most a day
        (:class:`ValidationError` otherwise)::

            while hub.redeliver_pending(limit=100):
                pass

        Each stored event is decoded by the payload model its key and version declare (in
        :data:`~sync_sdk.contracts.HUB_CONTRACTS` or a contract of the registry) and sent on
        its signal. One that no contract declares, or whose payload does not decode, is logged
        (logger ``sync_sdk.events``) and left pending, released for the next call; the others are
        delivered all the same.
        """
        _check_arguments(_int_issue("limit", limit, 1, _MAX_REDELIVER), _lease_issue(lease))
        now = self._now()
        marks = self._take_delivered()
        try:
            with self.storage.unit_of_work() as uow:
                if marks:
                    uow.outbox.mark_delivered(marks, now)
                claimed = [
                    e
                    for e in uow.outbox.claim_pending(
                        limit, now=now, lease_until=now + timedelta(seconds=lease)
                    )
                    if e.id not in self._in_flight
                ]
                uow.commit()
                marks = []
        finally:
            if marks:
                self._return_delivered(marks)
        delivered: list[str] = []
        failed: list[str] = []
        for stored in claimed:
            event = envelope_from_outbox(stored)
            if event is None:  # undeclared or undecodable: logged, and left pending
                failed.append(stored.id)
                continue
            (delivered if send(signal_for(event.key), self, event) else failed).append(stored.id)
        if delivered or failed:
            with self.storage.unit_of_work() as uow:
                uow.outbox.mark_delivered(delivered, self._now())
                uow.outbox.release(failed)
                uow.commit()
        return len(delivered)

    # -- any operation ----------------------------------------------------------------------

    def execute(
        self,
        key: str,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        actor: Actor | None = None,
        idempotency_key: str | None = None,
        version: str | None = None,
        **fields: Any,
    ) -> Any:
        """Run the registered operation ``key`` (its latest version, or ``version``) and return
        its output model. Every typed method is this, for one contract::

            run = hub.execute("integration.sync.trigger", {"syncConfigId": cfg.id}, actor=user)

        The input is a wire mapping or snake_case keywords, as for the typed methods. A command
        takes an ``idempotency_key`` (the same key and input in the org returns the first
        result and writes and publishes nothing; the key with another input raises
        :class:`Conflict`); a query takes none. An unknown key or version raises
        :class:`NotFound`; the rest is as for :meth:`create_sync_config`.
        """
        contract = self._contract(key, version)
        if contract is CREATE_SYNC_CONFIG:  # the hub's own batch path (see create_sync_config)
            return self.create_sync_config(
                data, actor=actor, idempotency_key=idempotency_key, **fields
            )
        try:
            operation = registry.operation(contract.key, contract.version)
        except KeyError:
            raise NotFound(
                f"operation {contract.key} v{contract.version} has no handler to run it"
            ) from None
        return self._execute(operation, data, fields, actor, idempotency_key)

    def _contract(self, key: object, version: object) -> OperationContract:
        if type(key) is not str or (version is not None and type(version) is not str):
            raise NotFound(f"no operation {safe_repr(key)}")
        try:
            return registry.get(key, version)
        except KeyError:
            which = safe_repr(key) if version is None else f"{safe_repr(key)} v{safe_repr(version)}"
            raise NotFound(f"no operation {which}") from None

    def _execute(
        self,
        operation: Operation,
        data: Mapping[str, Any] | None,
        fields: Mapping[str, Any],
        actor: Actor | None,
        idempotency_key: str | None,
    ) -> Any:
        """The pipeline: validate, authorize, then one unit of work (see :meth:`execute`)."""
        contract = operation.contract
        if fields:
            if data is not None:
                raise TypeError("pass the input as a mapping or as keywords, not both")
            data = {camel_case(name): value for name, value in fields.items()}
        model = contract.io.input
        # an application's own input model may have no from_dict: its declared fields suffice
        from_dict = getattr(model, "from_dict", None) or validator_for(model)
        command: Any = from_dict(data)
        is_query = contract.meta.kind == "query"
        if is_query and idempotency_key is not None:
            raise TypeError(f"{contract.key} is a query: it takes no idempotency_key")
        key = _check_idempotency_key(idempotency_key)
        user = _authorize(actor, contract.policy.auth)
        self._ensure(operation.tables)
        if is_query:
            with self.storage.unit_of_work(write=False) as uow:
                return operation.handler(
                    Context(uow, user, self._now(), self._cipher, self._entity_ids), command
                )
        request_hash = None if key is None else self._request_hash(contract, command)
        for _ in range(_ATTEMPTS - 1):
            try:
                return self._command(operation, command, user, key, request_hash)
            except UniqueViolation:
                continue  # a concurrent write won: run again, against what it wrote
        try:
            return self._command(operation, command, user, key, request_hash)
        except UniqueViolation as exc:
            raise Conflict(
                f"{contract.key}: concurrent writes kept taking the same row ({exc.constraint});"
                " try again"
            ) from None

    def _command(
        self,
        operation: Operation,
        command: Any,
        actor: Actor,
        key: str | None,
        request_hash: str | None,
    ) -> Any:
        """One run of a command in :meth:`_transact`: the idempotency key's first result, or
        the handler's output with the contract's events and audit records."""
        contract = operation.contract
        now = self._now()

        def work(uow: UnitOfWork, effects: Effects) -> Any:
            if key is not None:
                found = uow.table(IDEMPOTENCY_KEYS).get(actor.org_id, key)
                if found is not None:
                    return _replay_result(contract, found, request_hash)
            context = Context(uow, actor, now, self._cipher, self._entity_ids)
            output = operation.handler(context, command)
            subject = context.subject_id or getattr(output, "id", None) or ""
            first_event = ""
            for emitted in contract.side_effects.emits:
                if emitted.key not in context.skipped:
                    payload = context.payloads.get(emitted.key, output)
                    event_id = effects.emit(emitted, payload, actor, subject)
                    first_event = first_event or event_id
            for audit_key in contract.side_effects.audit:
                effects.audit(audit_key, actor, subject, first_event)
            if key is not None:
                record = IdempotencyRecord(
                    id=key,
                    operation=contract.key,
                    request_hash=request_hash or "",
                    result_json=json_text(_wire_of(output)),
                    created_at=now,
                )
                uow.table(IDEMPOTENCY_KEYS).add(actor.org_id, record)
            return output

        return self._transact(work, now)

    def _request_hash(self, contract: OperationContract, command: Any) -> str:
        """A digest of the operation and its validated input; a secret field counts by its
        keyed fingerprint, so that no plain hash of a credential is ever stored."""
        wire = _wire_of(command)
        for field in attrs.fields(type(command)):
            if field.metadata.get("secret") and getattr(command, field.name) is not None:
                value = getattr(command, field.name)
                cipher = self._cipher
                wire[camel_case(field.name)] = (
                    "<secret>" if cipher is None else cipher.fingerprint(value)
                )
        canonical = json.dumps(
            {"operation": contract.key, "version": contract.version, "input": wire},
            sort_keys=True,
            separators=(",", ":"),
            default=repr,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def _publish_events(self, events: list[_Committed], actor: Actor, now: datetime) -> None:
        """Send committed events on their signals; those every receiver took are marked."""
        if not events:
            return
        event_ids = [event[0] for event in events]
        delivered = event_ids
        try:
            signals = [signal_for(key) for _, key, _, _ in events]
            if any(listening(signal) for signal in signals):
                delivered = []
                mine: set[str] | None = getattr(self._delivering, "events", None)
                if mine is None:
                    mine = self._delivering.events = set()
                mine.update(event_ids)
                try:
                    for (event_id, key, version, payload), signal in zip(
                        events, signals, strict=True
                    ):
                        envelope = EventEnvelope(
                            event_id, key, version, now, payload, actor.id, actor.org_id
                        )
                        if send(signal, self, envelope):
                            delivered.append(event_id)
                finally:
                    mine.difference_update(event_ids)
        finally:
            self._settle(event_ids, delivered)

    def _transact(self, work: Callable[[UnitOfWork, Effects], T], now: datetime) -> T:
        """Run ``work`` in one write unit of work, with the events and audit records it records
        in its :class:`Effects`; commit, then publish. Every command runs in it (see
        :meth:`_command`), and so do the worker's and the scheduler's writes."""
        effects = Effects(now)
        marks = self._take_delivered()
        committed = False
        event_ids: list[str] = []
        try:
            with self.storage.unit_of_work() as uow:
                if marks:
                    uow.outbox.mark_delivered(marks, now)
                result = work(uow, effects)
                event_ids = [row.id for row in effects.rows]
                with self._lock:  # in flight from here: close() waits for these events
                    if self._closed:
                        raise StorageError("hub is closed")
                    self._in_flight.update(event_ids)
                if effects.audits:
                    uow.audit.add_many(effects.audits)
                if effects.rows:
                    uow.outbox.add_many(effects.rows)
                uow.commit()
                committed = True
                marks = []
        finally:
            if marks:
                self._return_delivered(marks)
            if not committed:
                self._settle(event_ids, ())
        by_actor: dict[Actor, list[_Committed]] = {}
        for actor, event in effects.events:
            by_actor.setdefault(actor, []).append(event)
        for actor, events in by_actor.items():
            self._publish_events(events, actor, now)
        return result

    def _ensure(self, tables: Sequence[Table[Any]]) -> None:
        """Make sure the storage has ``tables`` (once per hub and table)."""
        missing = [t for t in tables if t.name not in self._tables]
        if missing:
            ensure = getattr(self.storage, "ensure_tables", None)
            if ensure is not None:
                ensure(missing)
            self._tables.update(t.name for t in missing)

    # -- the integration hub's operations ---------------------------------------------------

    def create_integration(
        self,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        actor: Actor | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Integration:
        """Create an integration (contract ``integration.create`` v1.0.0); it is ``ACTIVE``::

        slack = hub.create_integration(name="Slack", slug="slack", provider="slack",
            actor=user)
        """
        return self._typed(CREATE_INTEGRATION, data, actor, idempotency_key, fields)  # type: ignore[no-any-return]

    def create_connection(
        self,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        actor: Actor | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Connection:
        """Create a connection (contract ``integration.connection.create`` v1.0.0); it is
        ``PENDING``. Its ``credentials`` (a JSON object) are stored encrypted with the hub's
        secret key (:class:`~sync_sdk.credentials.SecretKeyRequired` without one) and never
        returned but by :meth:`connection_credentials`. The integration need not exist here."""
        return self._typed(CREATE_CONNECTION, data, actor, idempotency_key, fields)  # type: ignore[no-any-return]

    def add_field_mapping(
        self,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        actor: Actor | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> FieldMapping:
        """Add a field mapping to a sync config of the actor's org (contract
        ``integration.fieldMapping.add`` v1.0.0); :class:`NotFound` for any other config. A
        ``transformExpression`` must be of the transform vocabulary (see
        :mod:`sync_sdk.transforms`): ``ValidationError`` (``invalid_expression``) otherwise."""
        return self._typed(ADD_FIELD_MAPPING, data, actor, idempotency_key, fields)  # type: ignore[no-any-return]

    def trigger_sync(
        self,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        actor: Actor | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> SyncRun:
        """Start a sync of a config of the actor's org (contract ``integration.sync.trigger``
        v1.0.0): a ``PENDING`` run, triggered ``"manual"``. :class:`NotFound` for any other
        config; :class:`Conflict`, naming the run, while the config has an active (PENDING or
        RUNNING) run, and for a paused config."""
        return self._typed(TRIGGER_SYNC, data, actor, idempotency_key, fields)  # type: ignore[no-any-return]

    def list_sync_runs(
        self,
        data: Mapping[str, Any] | None = None,
        /,
        *,
        actor: Actor | None = None,
        **fields: Any,
    ) -> Page[SyncRun]:
        """A page of a config's runs, newest first (contract ``integration.syncRun.list``
        v1.0.0): ``syncConfigId``, optional ``status``, ``limit`` (1..100, default 20) and
        ``offset`` (default 0). ``.items`` and ``.total`` (for the filter); its ``to_dict()``
        is the contract's ``{"runs": [...], "total": n}``."""
        return self._typed(LIST_SYNC_RUNS, data, actor, None, fields)  # type: ignore[no-any-return]

    def _typed(
        self,
        contract: OperationContract,
        data: Mapping[str, Any] | None,
        actor: Actor | None,
        idempotency_key: str | None,
        fields: dict[str, Any],
    ) -> Any:
        if "idempotency_key" in fields:  # a query's method has no such parameter: say so
            idempotency_key = fields.pop("idempotency_key")
        return self.execute(
            contract.key,
            data,
            actor=actor,
            idempotency_key=idempotency_key,
            version=contract.version,
            **fields,
        )

    def update_sync_config(
        self,
        config_id: str,
        *,
        actor: Actor | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> SyncConfig:
        """Change a sync config of the actor's org (contract ``integration.syncConfig.update``
        v1.0.0, sync_sdk's own): ``name``, ``schedule_enabled``, ``schedule_cron``,
        ``is_active``, with the create input's rules; returns the updated config::

            hub.update_sync_config(cfg.id, is_active=False, actor=user)   # pause it

        A paused config refuses :meth:`trigger_sync` (:class:`Conflict`) and its schedule
        creates no run; resumed, its schedule goes on from the next slot. :class:`NotFound`
        for another org's config.
        """
        unknown = sorted(set(fields) - {"name", "schedule_enabled", "schedule_cron", "is_active"})
        if unknown:
            raise TypeError(f"update_sync_config() got unexpected field(s): {', '.join(unknown)}")
        return self._typed(  # type: ignore[no-any-return]
            UPDATE_SYNC_CONFIG,
            None,
            actor,
            idempotency_key,
            {"sync_config_id": config_id, **fields},
        )

    def cancel_sync_run(
        self, run_id: str, *, actor: Actor | None = None, idempotency_key: str | None = None
    ) -> SyncRun:
        """Cancel a sync run of the actor's org (contract ``integration.syncRun.cancel``
        v1.0.0, sync_sdk's own). A PENDING run is CANCELLED at once; a RUNNING one is asked to
        stop (its engine sees ``is_cancelled()``) and ends CANCELLED, so it is returned
        RUNNING. :class:`Conflict` for a finished run, :class:`NotFound` for another org's."""
        return self._typed(  # type: ignore[no-any-return]
            CANCEL_SYNC_RUN, None, actor, idempotency_key, {"sync_run_id": run_id}
        )

    # -- workers ----------------------------------------------------------------------------

    def run_pending(
        self, engine: Callable[[Any], Any], *, limit: int = 10, lease: float = 300.0
    ) -> list[SyncRun]:
        """Run pending sync runs with ``engine`` (a :class:`~sync_sdk.engine.SyncEngine`);
        returns the runs this call finished.

        First, RUNNING runs whose worker was lost (their lease ran out) become FAILED. Then up
        to ``limit`` (1..1000) PENDING runs are claimed one at a time, oldest first, marked
        RUNNING under a lease of ``lease`` seconds (renewed while the engine calls
        ``is_cancelled()``), and run by the engine outside any transaction; each ends
        COMPLETED, FAILED or CANCELLED with its event and audit record (see
        :mod:`sync_sdk.worker`). Workers in several threads or processes share the runs; none
        is run twice::

            finished = hub.run_pending(MappingEngine(read, write))
        """
        from sync_sdk.worker import run_pending

        return run_pending(self, engine, limit=limit, lease=lease)

    def schedule_due(self, now: datetime | None = None) -> list[SyncRun]:
        """Create the PENDING runs of cron schedules that are due at ``now`` (default: the
        hub's clock); returns them.

        One run per active config with a schedule whose next slot has passed, for the latest
        slot passed (missed slots are not replayed one by one), ``trigger`` ``"schedule"``; a
        config with an active run skips that slot. Cron is evaluated in UTC. Exactly one run
        per config and slot, however many processes call this at once; the cost follows the
        number of configs due, not the number of configs.
        """
        from sync_sdk.worker import schedule_due

        return schedule_due(self, now)

    def get_integration(self, integration_id: str, *, actor: Actor | None = None) -> Integration:
        """The integration ``integration_id`` of the actor's org; :class:`NotFound` otherwise."""
        return self._get(INTEGRATIONS, integration_id, actor, "integration")  # type: ignore[no-any-return]

    def get_connection(self, connection_id: str, *, actor: Actor | None = None) -> Connection:
        """The connection ``connection_id`` of the actor's org (without its credentials);
        :class:`NotFound` otherwise."""
        return self._get(CONNECTIONS, connection_id, actor, "connection")  # type: ignore[no-any-return]

    def get_sync_run(self, run_id: str, *, actor: Actor | None = None) -> SyncRun:
        """The sync run ``run_id`` of the actor's org; :class:`NotFound` otherwise."""
        return self._get(SYNC_RUNS, run_id, actor, "sync run")  # type: ignore[no-any-return]

    def connection_credentials(
        self, connection_id: str, *, actor: Actor | None = None
    ) -> dict[str, Any] | None:
        """The decrypted credentials of a connection of the actor's org (None if it has none),
        for the application's own sync code; :class:`NotFound` for another org's connection,
        :class:`~sync_sdk.credentials.SecretKeyRequired` for a hub without a key."""
        user = _authorize(actor, "user")
        token: object = None
        found = False
        if type(connection_id) is str and not _UNSTORABLE.search(connection_id):
            with self.storage.unit_of_work(write=False) as uow:
                table = uow.table(CONNECTIONS)
                found = table.get(user.org_id, connection_id) is not None
                if found:
                    token = table.value(user.org_id, connection_id, "credentials")
        if not found:
            raise NotFound(f"connection {safe_repr(connection_id)} not found")
        if token is None:
            return None
        if self._cipher is None:
            raise SecretKeyRequired(
                "this connection's credentials are encrypted: the hub needs its secret key"
                " (secret_key= or $SYNC_SDK_SECRET_KEY) to read them"
            )
        return self._cipher.decrypt(str(token))

    def _get(self, table: Table[Any], item_id: object, actor: Actor | None, what: str) -> Any:
        user = _authorize(actor, "user")
        item = None
        # no record has an id that is not a str, nor one that a backend cannot store
        if type(item_id) is str and not _UNSTORABLE.search(item_id):
            with self.storage.unit_of_work(write=False) as uow:
                item = uow.table(table).get(user.org_id, item_id)
        if item is None:
            raise NotFound(f"{what} {safe_repr(item_id)} not found")
        return item

    # -- queries ----------------------------------------------------------------------------

    def get_sync_config(self, config_id: str, *, actor: Actor | None = None) -> SyncConfig:
        """The config ``config_id`` of the actor's org; :class:`NotFound` otherwise (also for
        another org's config: no hint that it exists)."""
        user = _authorize(actor, "user")
        config = None
        # no config has an id that is not a str, nor one that a backend cannot store
        if type(config_id) is str and not _UNSTORABLE.search(config_id):
            with self.storage.unit_of_work(write=False) as uow:
                config = uow.configs.get(user.org_id, config_id)
                if config is not None:
                    config = with_mappings(uow, user.org_id, [config])[0]
        if config is None:
            raise NotFound(f"sync config {safe_repr(config_id)} not found")
        return config

    def list_sync_configs(
        self, *, actor: Actor | None = None, limit: int = 20, offset: int = 0
    ) -> Page[SyncConfig]:
        """A page of the actor's org's configs, oldest first, with the org's ``total``.

        ``limit`` is 1..1000, ``offset`` at least 0 (:class:`ValidationError` otherwise); an
        offset past the end gives an empty page.
        """
        user = _authorize(actor, "user")
        _check_arguments(
            _int_issue("limit", limit, 1, _MAX_PAGE), _int_issue("offset", offset, 0, None)
        )
        with self.storage.unit_of_work(write=False) as uow:
            items = uow.configs.list(user.org_id, limit=limit, offset=min(offset, _MAX_OFFSET))
            items = with_mappings(uow, user.org_id, items)
            total = uow.configs.count(user.org_id)
        return Page(items=items, total=total, limit=limit, offset=offset)

    def audit_log(
        self,
        *,
        actor: Actor | None = None,
        subject_id: str | None = None,
        limit: int = _MAX_PAGE,
        offset: int = 0,
    ) -> list[AuditRecord]:
        """Audit records of the actor's org, oldest first: at most ``limit`` (1..1000) from
        ``offset``; only those of the config ``subject_id`` when given::

            first = hub.audit_log(actor=user)                     # the oldest 1,000
            more = hub.audit_log(actor=user, offset=1000)         # the next ones
            mine = hub.audit_log(actor=user, subject_id=cfg.id)   # one config's records

        Bad arguments raise :class:`ValidationError`, as for :meth:`list_sync_configs`.
        """
        user = _authorize(actor, "user")
        _check_arguments(
            _subject_issue(subject_id),
            _int_issue("limit", limit, 1, _MAX_PAGE),
            _int_issue("offset", offset, 0, None),
        )
        with self.storage.unit_of_work(write=False) as uow:
            return uow.audit.list(
                user.org_id, subject_id=subject_id, limit=limit, offset=min(offset, _MAX_OFFSET)
            )

    # -- lifecycle --------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the pending "delivered" marks now (``close()`` does it too)."""
        marks = self._take_delivered()
        if not marks:
            return
        try:
            with self.storage.unit_of_work() as uow:
                uow.outbox.mark_delivered(marks, self._now())
                uow.commit()
                marks = []
        finally:
            if marks:
                self._return_delivered(marks)

    def close(self) -> None:
        """Flush delivery marks and close the storage this hub opened from a URL.

        Creates on other threads whose receivers are still running are waited for, so that
        their events are marked delivered too; a create that starts once ``close()`` has begun
        raises :class:`StorageError`. Closing a closed hub does nothing.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            # Not its own: a receiver closing the hub would wait for itself. Those events stay
            # pending and are delivered again after reopening (at least once).
            mine: set[str] = getattr(self._delivering, "events", set())
            while not self._in_flight <= mine:
                self._settled.wait()
        try:
            self.flush()
        finally:
            if self._owns_storage:
                self.storage.close()

    def __enter__(self) -> SyncHub:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- helpers ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if type(now) is datetime and now.tzinfo is UTC:
            return now
        if not isinstance(now, datetime):
            raise ConfigurationTypeError(f"clock must return a datetime, not {type(now).__name__}")
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def _settle(self, event_ids: list[str], delivered: Sequence[str]) -> None:
        """``event_ids`` are no longer in flight; ``delivered`` get marked."""
        with self._lock:
            self._in_flight.difference_update(event_ids)
            if delivered:
                self._delivered.extend(delivered)
            if self._closed:
                self._settled.notify_all()

    def _take_delivered(self) -> list[str]:
        if not self._delivered:
            return []
        with self._lock:
            marks, self._delivered = self._delivered, []
        return marks

    def _return_delivered(self, marks: list[str]) -> None:
        with self._lock:
            self._delivered[:0] = marks
