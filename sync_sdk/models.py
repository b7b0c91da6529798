"""The contract's models as frozen attrs classes, and the one cattrs converter.

Python attributes are snake_case; the wire format (dicts in and out, event payloads, stored JSON)
is the contract's camelCase. The renames live in one place, :func:`make_converter`::

    >>> cfg = SyncConfig(id="sync_1", integration_id="int-1", connection_id="conn-1",
    ...     name="Contacts Sync", direction=SyncDirection.OUTBOUND,
    ...     source_object="contacts", target_object="contacts")
    >>> cfg.to_dict()["integrationId"]
    'int-1'

Every model of ContractSpec's integration-hub feature is here: the inputs of its six operations
(``Create*Input``, :class:`AddFieldMappingInput`, :class:`TriggerSyncInput`,
:class:`ListSyncRunsInput`), their outputs (:class:`Integration`, :class:`Connection`,
:class:`SyncConfig`, :class:`FieldMapping`, :class:`SyncRun`, :class:`ListSyncRunsOutput`) and the
enums they use, each field as the contract's TypeScript schema declares it. A field the schema
marks optional has a default (``None``, or the schema's own default); a required one has none.
The newer models are keyword-only, so that their fields keep the schema's order.

**Validation facts.** What a type annotation cannot say about an input field is declared in its
attrs ``metadata``, one vocabulary for every input model, from which the validator is built:

=================  ==============================================================================
key                meaning for the wire value
=================  ==============================================================================
``non_empty``      ``True``: a string with a character other than whitespace (ContractSpec's
                   ``NonEmptyString``, made strict; also set on every required id, which
                   sync_sdk has always refused blank)
``json``           ``True``: any JSON value (null, boolean, number, string, list, object with
                   string keys), kept as given, never coerced
``min``, ``max``   integer bounds, both inclusive
``cron``           ``True``: a standard 5-field cron expression (see ``validation.cron_problem``)
``secret``         ``True``: never shown: not in ``repr``, an error message, an output model, an
                   event, an audit record or a log line
=================  ==============================================================================

The rest comes from the annotation and the default: ``str``, ``bool``, ``int``, a ``StrEnum``
(one of its values), a JSON field (``Any``); required when there is no default. Rules that
join two fields (``scheduleCron`` is required when ``scheduleEnabled``; a TRANSFORM or COMPUTED
mapping needs a ``transformExpression``, a CONSTANT one a ``constantValue``, a LOOKUP one a
``lookupConfig`` of the shape :func:`sync_sdk.transforms.lookup_problem` checks) are the model's,
not a field's: its ``checks``, a tuple of :class:`RequiredWhen` and :class:`Check`::

    >>> [(f.name, dict(f.metadata)) for f in attrs.fields(ListSyncRunsInput)][2:]
    [('limit', {'min': 1, 'max': 100}), ('offset', {'min': 0})]
    >>> CreateSyncConfigInput.checks
    (RequiredWhen(field='schedule_cron', other='schedule_enabled', values=(True,)),)

:func:`sync_sdk.validation.validator_for` compiles one validator per model from these
declarations; every input model's ``from_dict`` is it.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, Self

import attrs
import cattrs
from attrs import frozen
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from sync_sdk.transforms import lookup_problem, path_problem, template_problem, transform_problem

__all__ = [
    "AddFieldMappingInput",
    "AuthType",
    "CancelSyncRunInput",
    "Check",
    "Connection",
    "ConnectionStatus",
    "CreateConnectionInput",
    "CreateIntegrationInput",
    "CreateSyncConfigInput",
    "FieldMapping",
    "Integration",
    "IntegrationStatus",
    "ListSyncRunsInput",
    "ListSyncRunsOutput",
    "MappingType",
    "RequiredWhen",
    "SyncConfig",
    "SyncDirection",
    "SyncRun",
    "SyncStatus",
    "TransportType",
    "TriggerSyncInput",
    "UpdateSyncConfigInput",
    "camel_case",
    "converter",
    "make_converter",
]


class SyncDirection(enum.StrEnum):
    """Which way data flows between the integration and the connection."""

    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    BIDIRECTIONAL = "BIDIRECTIONAL"


class MappingType(enum.StrEnum):
    """How a target field gets its value."""

    DIRECT = "DIRECT"
    TRANSFORM = "TRANSFORM"
    LOOKUP = "LOOKUP"
    CONSTANT = "CONSTANT"
    COMPUTED = "COMPUTED"


class SyncStatus(enum.StrEnum):
    """The state of a sync run."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@frozen
class RequiredWhen:
    """A model check: ``field`` (a Python name) is required when ``other`` holds one of
    ``values`` (``True``, ``False`` or enum members). Issue code ``required``.

    >>> RequiredWhen("schedule_cron", "schedule_enabled", (True,)).other
    'schedule_enabled'

    .. versionadded:: 0.2.0
    """

    field: str
    other: str
    values: tuple[object, ...]


@frozen
class Check:
    """A model check: ``problem(*values)``, given the values of the fields ``uses`` once they
    are all valid, says what is wrong with ``field`` (issue ``code``), or returns None.

    >>> Check("b", "too_small", lambda a, b: "must be at least a" if b < a else None,
    ...     ("a", "b")).code
    'too_small'

    .. versionadded:: 0.2.0
    """

    field: str
    code: str
    problem: Callable[..., str | None]
    uses: tuple[str, ...]


#: What a model's ``checks`` may hold.
ModelCheck = RequiredWhen | Check


def _expression_problem(mapping_type: MappingType, expression: str | None) -> str | None:
    """A given expression is a COMPUTED mapping's template, else a transform of the vocabulary
    (never evaluated: see :mod:`sync_sdk.transforms`)."""
    if expression is None:
        return None
    if mapping_type is MappingType.COMPUTED:
        return template_problem(expression)
    return transform_problem(expression)


def _source_path_problem(mapping_type: MappingType, source_field: str) -> str | None:
    """The source field of a mapping that reads it is a dotted path (CONSTANT and COMPUTED
    mappings do not read it)."""
    if mapping_type in (MappingType.CONSTANT, MappingType.COMPUTED):
        return None
    return path_problem(source_field)


def _lookup_config_problem(lookup_config: object) -> str | None:
    """A given ``lookupConfig`` is a static map (see :func:`sync_sdk.transforms.lookup_problem`)."""
    return None if lookup_config is None else lookup_problem(lookup_config)


@frozen
class FieldMapping:
    """One field of a sync config's mapping (contract model ``FieldMapping``)."""

    id: str
    source_field: str
    target_field: str
    mapping_type: MappingType
    is_required: bool
    transform_expression: str | None = None
    # From the add input (integration.fieldMapping.add), for the run engine; JSON values
    lookup_config: Any = None
    constant_value: Any = None
    default_value: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The wire (camelCase) dict of this mapping.

        >>> mapping = FieldMapping("fm-1", "email", "Email", MappingType.DIRECT, True)
        >>> mapping.to_dict()["mappingType"]
        'DIRECT'
        """
        return converter().unstructure(self)  # type: ignore[no-any-return]


@frozen
class CreateSyncConfigInput:
    """Validated input of ``integration.syncConfig.create``.

    Build it from a wire dict with :meth:`from_dict`, which applies every rule of the contract
    strictly and raises :class:`~sync_sdk.errors.ValidationError` naming each problem::

        >>> CreateSyncConfigInput.from_dict({"integrationId": "int-1", "connectionId": "conn-1",
        ...     "name": "Contacts Sync", "direction": "OUTBOUND",
        ...     "sourceObject": "contacts", "targetObject": "contacts"}).schedule_enabled
        False
    """

    integration_id: str = attrs.field(metadata={"non_empty": True})
    connection_id: str = attrs.field(metadata={"non_empty": True})
    name: str = attrs.field(metadata={"non_empty": True})
    direction: SyncDirection
    source_object: str = attrs.field(metadata={"non_empty": True})
    target_object: str = attrs.field(metadata={"non_empty": True})
    schedule_enabled: bool = False
    schedule_cron: str | None = attrs.field(
        default=None, metadata={"non_empty": True, "cron": True}
    )

    checks: ClassVar[tuple[ModelCheck, ...]] = (
        RequiredWhen("schedule_cron", "schedule_enabled", (True,)),
    )

    @classmethod
    def from_dict(cls, data: object) -> CreateSyncConfigInput:
        """Validate a wire dict strictly and build the input (see the class's example)."""
        validate: Callable[[object], CreateSyncConfigInput] = _validator(cls)
        return validate(data)

    def to_dict(self) -> dict[str, Any]:
        """The wire (camelCase) dict of this input."""
        return converter().unstructure(self)  # type: ignore[no-any-return]


@frozen
class SyncConfig:
    """A sync configuration (contract model ``SyncConfig``), also the event payload."""

    id: str
    integration_id: str
    connection_id: str
    name: str
    direction: SyncDirection
    source_object: str
    target_object: str
    schedule_enabled: bool = False
    schedule_cron: str | None = None
    is_active: bool = True
    last_sync_at: datetime | None = None
    field_mappings: tuple[FieldMapping, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The wire (camelCase) dict: what events carry and what is stored as JSON.

        >>> cfg = SyncConfig("sync_1", "i", "c", "n", SyncDirection.INBOUND, "a", "b")
        >>> cfg.to_dict()["isActive"]
        True
        """
        return converter().unstructure(self)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """The wire dict as compact JSON text: ``json.dumps(self.to_dict(), separators=(",",
        ":"))``, built without the intermediate dict (the outbox stores one per config).

        >>> SyncConfig("sync_1", "i", "c", "n", SyncDirection.INBOUND, "a", "b").to_json()[:32]
        '{"id":"sync_1","integrationId":"'
        """
        return _json_encoder(SyncConfig)(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SyncConfig:
        """Rebuild a config from its wire dict (stored or received data, trusted)."""
        return converter().structure(data, cls)


class IntegrationStatus(enum.StrEnum):
    """The state of an integration (``integration.enum.ts``)."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ERROR = "ERROR"
    ARCHIVED = "ARCHIVED"


class ConnectionStatus(enum.StrEnum):
    """The state of a connection (``connection.enum.ts``)."""

    PENDING = "PENDING"
    CONNECTED = "CONNECTED"
    DISCONNECTED = "DISCONNECTED"
    ERROR = "ERROR"
    EXPIRED = "EXPIRED"


class AuthType(enum.StrEnum):
    """How a connection authenticates (``connection.enum.ts``; lowercase values, as there)."""

    API_KEY = "api_key"
    OAUTH2 = "oauth2"
    BEARER = "bearer"
    HEADER = "header"
    BASIC = "basic"
    WEBHOOK_SIGNING = "webhook_signing"
    SERVICE_ACCOUNT = "service_account"


class TransportType(enum.StrEnum):
    """The protocol spoken to the external system (``connection.enum.ts``)."""

    REST = "rest"
    MCP = "mcp"
    WEBHOOK = "webhook"
    SDK = "sdk"


class _WireDict:
    """``to_dict`` through the converter, for the feature's newer models."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The wire (camelCase) dict; every field is present, unset optional ones as ``None``."""
        return converter().unstructure(self)  # type: ignore[no-any-return]


class _WireInput(_WireDict):
    """``to_dict``, and the validating ``from_dict`` compiled from the model's declared fields
    and ``checks``, for the newer input models."""

    __slots__ = ()

    checks: ClassVar[tuple[ModelCheck, ...]] = ()

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Validate a wire dict strictly and build the input; raises
        :class:`~sync_sdk.errors.ValidationError` naming every problem and its path."""
        validate: Callable[[object], Self] = _validator(cls)
        return validate(data)


class _WireModel(_WireDict):
    """``to_dict`` and ``from_dict`` through the converter, for the newer output models."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild the model from its wire dict (stored or received data, trusted)."""
        return converter().structure(data, cls)


@frozen(kw_only=True)
class CreateIntegrationInput(_WireInput):
    """Input of ``integration.create`` (contract model ``CreateIntegrationInput``).

    >>> CreateIntegrationInput(name="Slack", slug="slack", provider="slack").to_dict()
    {'name': 'Slack', 'slug': 'slack', 'description': None, 'provider': 'slack', 'config': None, \
'featureFlagKey': None}
    """

    name: str = attrs.field(metadata={"non_empty": True})
    slug: str = attrs.field(metadata={"non_empty": True})
    description: str | None = None
    provider: str = attrs.field(metadata={"non_empty": True})
    config: Any = attrs.field(default=None, metadata={"json": True})
    feature_flag_key: str | None = None


@frozen(kw_only=True)
class Integration(_WireModel):
    """An integration with an external system (contract model ``IntegrationModel``)."""

    id: str
    name: str
    slug: str
    description: str | None = None
    provider: str
    status: IntegrationStatus
    created_at: datetime


def _credentials_problem(credentials: Any) -> str | None:
    """Credentials are encrypted as one JSON object (see :mod:`sync_sdk.credentials`); the
    message names the kind of a bad value, never the value."""
    if credentials is None or isinstance(credentials, dict):
        return None
    return f"must be a JSON object (a dict), not {type(credentials).__name__}"


@frozen(kw_only=True)
class CreateConnectionInput(_WireInput):
    """Input of ``integration.connection.create`` (contract model ``CreateConnectionInput``).

    ``credentials`` are secret: left out of ``repr`` here, and of every output model.

    >>> CreateConnectionInput(integration_id="int-1", name="Prod", auth_type="oauth2",
    ...     credentials={"clientId": "xxx"})
    CreateConnectionInput(integration_id='int-1', name='Prod', auth_type='oauth2', \
transport=None, auth_method=None, api_version=None, ownership_mode=None)
    """

    integration_id: str = attrs.field(metadata={"non_empty": True})
    name: str = attrs.field(metadata={"non_empty": True})
    # A string in the contract (not the AuthType enum, which types authMethod)
    auth_type: str = attrs.field(metadata={"non_empty": True})
    credentials: Any = attrs.field(
        default=None, repr=False, metadata={"json": True, "secret": True}
    )
    transport: TransportType | None = None
    auth_method: AuthType | None = None
    api_version: str | None = None
    ownership_mode: str | None = None

    checks: ClassVar[tuple[ModelCheck, ...]] = (
        Check("credentials", "invalid_type", _credentials_problem, ("credentials",)),
    )


@frozen(kw_only=True)
class Connection(_WireModel):
    """A connection to an external system (contract model ``ConnectionModel``).

    It has no credentials field: credentials never appear in an output model.
    """

    id: str
    integration_id: str
    name: str
    status: ConnectionStatus
    auth_type: str
    external_account_name: str | None = None
    connected_at: datetime | None = None
    last_health_check: datetime | None = None
    health_status: str | None = None
    transport: TransportType | None = None
    auth_method: AuthType | None = None
    api_version: str | None = None
    ownership_mode: str | None = None


@frozen(kw_only=True)
class AddFieldMappingInput(_WireInput):
    """Input of ``integration.fieldMapping.add`` (contract model ``AddFieldMappingInput``)."""

    sync_config_id: str = attrs.field(metadata={"non_empty": True})
    source_field: str = attrs.field(metadata={"non_empty": True})
    target_field: str = attrs.field(metadata={"non_empty": True})
    mapping_type: MappingType
    transform_expression: str | None = None
    lookup_config: Any = attrs.field(default=None, metadata={"json": True})
    constant_value: Any = attrs.field(default=None, metadata={"json": True})
    # Optional in the input, required in FieldMapping: an omitted one is False
    is_required: bool = False
    default_value: Any = attrs.field(default=None, metadata={"json": True})

    checks: ClassVar[tuple[ModelCheck, ...]] = (
        RequiredWhen(
            "transform_expression", "mapping_type", (MappingType.TRANSFORM, MappingType.COMPUTED)
        ),
        RequiredWhen("constant_value", "mapping_type", (MappingType.CONSTANT,)),
        Check(
            "transform_expression",
            "invalid_expression",
            _expression_problem,
            ("mapping_type", "transform_expression"),
        ),
        Check(
            "source_field", "invalid_path", _source_path_problem, ("mapping_type", "source_field")
        ),
        Check("target_field", "invalid_path", path_problem, ("target_field",)),
        RequiredWhen("lookup_config", "mapping_type", (MappingType.LOOKUP,)),
        Check("lookup_config", "invalid_lookup", _lookup_config_problem, ("lookup_config",)),
    )


@frozen(kw_only=True)
class TriggerSyncInput(_WireInput):
    """Input of ``integration.sync.trigger`` (contract model ``TriggerSyncInput``)."""

    sync_config_id: str = attrs.field(metadata={"non_empty": True})
    # None: the sync config's own direction
    direction: SyncDirection | None = None
    full_sync: bool = False


@frozen(kw_only=True)
class ListSyncRunsInput(_WireInput):
    """Input of ``integration.syncRun.list`` (contract model ``ListSyncRunsInput``).

    >>> ListSyncRunsInput(sync_config_id="sync_1").to_dict()
    {'syncConfigId': 'sync_1', 'status': None, 'limit': 20, 'offset': 0}
    """

    sync_config_id: str = attrs.field(metadata={"non_empty": True})
    status: SyncStatus | None = None
    limit: int = attrs.field(default=20, metadata={"min": 1, "max": 100})
    offset: int = attrs.field(default=0, metadata={"min": 0})


@frozen(kw_only=True)
class SyncRun(_WireModel):
    """One run of a sync config (contract model ``SyncRunModel``), also the event payload."""

    id: str
    sync_config_id: str
    status: SyncStatus
    direction: SyncDirection
    trigger: str
    records_processed: int
    records_created: int
    records_updated: int
    records_failed: int
    error_message: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime


@frozen(kw_only=True)
class CancelSyncRunInput(_WireInput):
    """Input of ``integration.syncRun.cancel`` (a contract of sync_sdk's own).

    >>> CancelSyncRunInput(sync_run_id="run_1").to_dict()
    {'syncRunId': 'run_1'}

    .. versionadded:: 0.3.0
    """

    sync_run_id: str = attrs.field(metadata={"non_empty": True})


@frozen(kw_only=True)
class UpdateSyncConfigInput(_WireInput):
    """Input of ``integration.syncConfig.update`` (a contract of sync_sdk's own): the config and
    the fields to change, each with the rules of the create input; an omitted (or null) field
    keeps its value. ``scheduleCron`` is required when the schedule ends up enabled.

    >>> UpdateSyncConfigInput(sync_config_id="sync_1", is_active=False).to_dict()["isActive"]
    False

    .. versionadded:: 0.3.0
    """

    sync_config_id: str = attrs.field(metadata={"non_empty": True})
    name: str | None = attrs.field(default=None, metadata={"non_empty": True})
    schedule_enabled: bool | None = None
    schedule_cron: str | None = attrs.field(
        default=None, metadata={"non_empty": True, "cron": True}
    )
    is_active: bool | None = None


@frozen(kw_only=True)
class ListSyncRunsOutput(_WireModel):
    """Output of ``integration.syncRun.list``: one page of ``runs`` and the ``total`` matching."""

    runs: tuple[SyncRun, ...]
    total: int


def _load_validator(model: type[Any]) -> Callable[[object], Any]:
    # validation imports this module: bind it on first use, not on every call
    from sync_sdk.validation import validator_for

    return validator_for(model)


_validator: Callable[[Any], Callable[[object], Any]] = cache(_load_validator)


def camel_case(name: str) -> str:
    """``integration_id`` -> ``integrationId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_WIRE_MODELS = (
    FieldMapping,
    CreateSyncConfigInput,
    SyncConfig,
    CreateIntegrationInput,
    Integration,
    CreateConnectionInput,
    Connection,
    AddFieldMappingInput,
    TriggerSyncInput,
    ListSyncRunsInput,
    SyncRun,
    ListSyncRunsOutput,
    CancelSyncRunInput,
    UpdateSyncConfigInput,
)


def _enum_value(member: enum.StrEnum) -> str:
    return member.value


def make_converter() -> cattrs.Converter:
    """Build the converter between models and wire dicts (camelCase keys, ISO 8601 times).

    A factory rather than global hooks, so that an application's own cattrs setup is never
    touched. Unstructuring keeps ``None`` fields as ``null``: the wire dict always has every key.
    """
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    # cattrs passes a StrEnum member through as the str it also is: unwrap it, so that a wire
    # dict holds plain JSON types (``type(d["direction"]) is str``)
    conv.register_unstructure_hook(enum.StrEnum, _enum_value)
    conv.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    # any other attrs class (an application's own operation models) gets the same wire form
    conv.register_unstructure_hook_factory(attrs.has, lambda model: _unstructure_fn(model, conv))
    conv.register_structure_hook_factory(attrs.has, lambda model: _structure_fn(model, conv))
    for model in _WIRE_MODELS:
        conv.register_unstructure_hook(model, _unstructure_fn(model, conv))
        conv.register_structure_hook(model, _structure_fn(model, conv))
    return conv


def _renames(model: type) -> dict[str, Any]:
    return {a.name: override(rename=camel_case(a.name)) for a in attrs.fields(model)}


def _unstructure_fn(model: type, conv: cattrs.Converter) -> Callable[[Any], dict[str, Any]]:
    return make_dict_unstructure_fn(model, conv, **_renames(model))


def _structure_fn(model: type, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    return make_dict_structure_fn(model, conv, _cattrs_forbid_extra_keys=True, **_renames(model))


@cache
def _json_encoder(model: type) -> Callable[[Any], str]:
    """Compile ``model``'s wire JSON encoder once, as cattrs compiles its hooks.

    Keys are the converter's camelCase renames, in field order; strings, booleans, integers,
    enums and optional values are written inline (``encode_basestring_ascii`` is what
    ``json.dumps`` uses for strings), anything else goes through the converter and
    ``json.dumps``. The output is
    byte for byte ``json.dumps(converter().unstructure(obj), separators=(",", ":"))``: the
    tests hold the two equal over generated configs.
    """
    hints = typing.get_type_hints(model)
    namespace: dict[str, Any] = {"_q": json.encoder.encode_basestring_ascii}
    parts = []
    for index, field in enumerate(attrs.fields(model)):
        kind = declared = hints[field.name]
        optional = isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind)
        if optional:
            (kind,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
        value = f"o.{field.name}"
        if kind is bool and not optional:
            text = f'("true" if {value} else "false")'
        elif kind is int:  # an int's repr is its JSON (the models' ints are never bools)
            text = f"int.__repr__({value})"
        elif kind is str or (isinstance(kind, type) and issubclass(kind, enum.StrEnum)):
            text = f"_q({value})"
        elif kind is datetime:  # the converter's datetime hook
            text = f"_q({value}.isoformat())"
        else:
            namespace[f"_f{index}"] = _json_via_converter(declared)
            text = f"_f{index}({value})"
            if typing.get_origin(kind) in (tuple, list):
                text = f'("[]" if not {value} else {text})'
        if optional:
            text = f'("null" if {value} is None else {text})'
        key = json.dumps(camel_case(field.name))
        literal = ("{" if index == 0 else ",") + key + ":"
        parts.append(literal.replace("{", "{{").replace("}", "}}") + "{" + text + "}")
    # One f-string: a single allocation for the whole text
    body = "".join(parts) + "}}"
    source = "def encode(o):\n    return f'''" + body + "'''\n"
    exec(compile(source, f"<sync_sdk JSON encoder {model.__name__}>", "exec"), namespace)
    return namespace["encode"]  # type: ignore[no-any-return]


def _json_via_converter(kind: Any) -> Callable[[Any], str]:
    unstructure = converter().unstructure
    dumps = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode

    def encode(value: Any) -> str:
        return dumps(unstructure(value, kind))

    return encode


@cache
def converter() -> cattrs.Converter:
    """The SDK's converter, built once on first use."""
    return make_converter()
