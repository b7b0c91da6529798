"""The contract's models as frozen attrs classes, and the one cattrs converter.

Python attributes are snake_case; the wire format (dicts in and out, event payloads, stored JSON)
is the contract's camelCase. The renames live in one place, :func:`make_converter`::

    >>> cfg = SyncConfig(id="sync_1", integration_id="int-1", connection_id="conn-1",
    ...     name="Contacts Sync", direction=SyncDirection.OUTBOUND,
    ...     source_object="contacts", target_object="contacts")
    >>> cfg.to_dict()["integrationId"]
    'int-1'

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
from typing import Any

import attrs
import cattrs
from attrs import frozen
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = [
    "CreateSyncConfigInput",
    "FieldMapping",
    "MappingType",
    "SyncConfig",
    "SyncDirection",
    "SyncStatus",
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
class FieldMapping:
    """One field of a sync config's mapping (contract model ``FieldMapping``)."""

    id: str
    source_field: str
    target_field: str
    mapping_type: MappingType
    is_required: bool
    transform_expression: str | None = None

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

    integration_id: str
    connection_id: str
    name: str
    direction: SyncDirection
    source_object: str
    target_object: str
    schedule_enabled: bool = False
    schedule_cron: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> CreateSyncConfigInput:
        return _validator()(data)

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


@cache
def _validator() -> Callable[[object], CreateSyncConfigInput]:
    # validation imports this module: bind it on first use, not on every call
    from sync_sdk.validation import validate_create_input

    return validate_create_input


def camel_case(name: str) -> str:
    """``integration_id`` -> ``integrationId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_WIRE_MODELS = (FieldMapping, CreateSyncConfigInput, SyncConfig)


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
    for model in _WIRE_MODELS:
        renames: dict[str, Any] = {
            a.name: override(rename=camel_case(a.name)) for a in attrs.fields(model)
        }
        conv.register_unstructure_hook(model, make_dict_unstructure_fn(model, conv, **renames))
        conv.register_structure_hook(
            model, make_dict_structure_fn(model, conv, _cattrs_forbid_extra_keys=True, **renames)
        )
    return conv


@cache
def _json_encoder(model: type) -> Callable[[Any], str]:
    """Compile ``model``'s wire JSON encoder once, as cattrs compiles its hooks.

    Keys are the converter's camelCase renames, in field order; strings, booleans, enums and
    optional values are written inline (``encode_basestring_ascii`` is what ``json.dumps`` uses
    for strings), anything else goes through the converter and ``json.dumps``. The output is
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
