"""Strict validation of ``integration.syncConfig.create`` input.

Where ContractSpec's schema parsing is lax (unknown keys silently stripped, whitespace accepted as
a name, cron never checked), this module is strict, and reports every problem at once::

    >>> try:
    ...     validate_create_input({"name": " ", "sourceConnectionId": "conn-1"})
    ... except ValidationError as err:
    ...     sorted((i.path, i.code) for i in err.issues)[:3]
    [('connectionId', 'required'), ('direction', 'required'), ('integrationId', 'required')]

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from unicodedata import category

from cronsim import CronSim, CronSimError

from sync_sdk.errors import ValidationError, ValidationIssue, safe_repr
from sync_sdk.models import CreateSyncConfigInput, SyncDirection

__all__ = [
    "MAX_STRING_LENGTH",
    "InputFields",
    "create_input_fields",
    "cron_problem",
    "is_blank",
    "text_problems",
    "validate_create_input",
]

MAX_STRING_LENGTH = 1024

_REQUIRED = ("integrationId", "connectionId", "name", "direction", "sourceObject", "targetObject")
_KNOWN = frozenset((*_REQUIRED, "scheduleEnabled", "scheduleCron"))
_UNKNOWN_FIELD = (
    f"is not a field of CreateSyncConfigInput (known fields: {', '.join(sorted(_KNOWN))})"
)
_DIRECTIONS = {d.value: d for d in SyncDirection}
_DIRECTION_LIST = ", ".join(_DIRECTIONS)
_KEY_LIMIT = 80  # characters of an unknown key shown in an issue's path

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Quartz/Jenkins extensions that standard (POSIX/Vixie) cron does not have
_QUARTZ_TOKENS = ("?", "L", "W", "#", "H")
_NAMES = re.compile(r"JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT")
_CRON_EPOCH = datetime(2000, 1, 1)
# (name, number of values) of the five fields, in order; a step may be 1..that number
_CRON_FIELDS = (
    ("minute", 60),
    ("hour", 24),
    ("day-of-month", 31),
    ("month", 12),
    ("day-of-week", 7),
)
_CRON_SEPARATOR = re.compile(r"[ \t]+")
_NOT_CRON_TEXT = re.compile(r"[^\t\x20-\x7e]")

# C0 controls, DEL and C1 controls, and lone surrogates: the one kind of character a str can
# hold that UTF-8 cannot encode (so no driver can store it). TAB separates cron fields.
_BAD_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_CRON_CHARACTER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")


def is_blank(text: str) -> bool:
    r"""True when ``text`` shows nothing: empty, or only whitespace and invisible format
    characters (Unicode category Cf: zero-width spaces, bidi marks, byte-order marks).

    >>> is_blank(" \u200b\ufeff"), is_blank("\u200e\u202e"), is_blank("a\u200b")
    (True, True, False)
    """
    if text.isascii():
        return not text or text.isspace()
    return all(char.isspace() or category(char) == "Cf" for char in text)


def _string(
    path: str,
    value: object,
    issues: list[ValidationIssue],
    max_length: int | None = MAX_STRING_LENGTH,
    bad: re.Pattern[str] = _BAD_CHARACTER,
) -> str | None:
    """Append the problems of a string field; the value when it is a usable string."""
    if type(value) is not str:
        issues.append(
            ValidationIssue(path, "invalid_type", f"must be a string, not {_type_name(value)}")
        )
        return None
    found = len(issues)
    blank = is_blank(value)
    if blank:
        issues.append(ValidationIssue(path, "blank", "must not be blank"))
    if max_length is not None and len(value) > max_length:
        issues.append(
            ValidationIssue(
                path,
                "too_long",
                f"must be at most {max_length} characters, got {len(value)}",
            )
        )
    # a blank value is only blank, though its whitespace be "\t" or "\n": one issue, the one
    # that says what to fix
    character = None if blank else bad.search(value)
    if character is not None:
        issues.append(ValidationIssue(path, "invalid_characters", _character_problem(character)))
    return value if len(issues) == found else None


def _character_problem(found: re.Match[str]) -> str:
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"must be encodable as UTF-8: lone surrogate U+{code:04X} at index {found.start()}"
    return f"must not contain control characters: U+{code:04X} at index {found.start()}"


def text_problems(
    path: str, value: object, *, max_length: int | None = MAX_STRING_LENGTH
) -> list[ValidationIssue]:
    r"""The problems of a text value outside the input (an idempotency key, an actor's ids):
    the type, blank, length and character rules of the input's string fields.

    >>> [(i.path, i.code) for i in text_problems("idempotencyKey", "k\x1b")]
    [('idempotencyKey', 'invalid_characters')]
    """
    if (
        type(value) is str
        and value
        and (max_length is None or len(value) <= max_length)
        and value.isprintable()
        and not value.isspace()
    ):
        return []  # as in _text
    issues: list[ValidationIssue] = []
    _string(path, value, issues, max_length)
    return issues


def _text(
    path: str, value: object, issues: list[ValidationIssue], bad: re.Pattern[str] = _BAD_CHARACTER
) -> str | None:
    """A required string field: the value when usable, else None with its issues appended."""
    # The common case. A printable str holds no control, surrogate or format character and
    # no whitespace but " " (see str.isprintable), so it is blank only when all spaces.
    if (
        type(value) is str
        and value
        and len(value) <= MAX_STRING_LENGTH
        and value.isprintable()
        and not value.isspace()
    ):
        return value
    if value is None:
        issues.append(ValidationIssue(path, "required", "is required"))
        return None
    return _string(path, value, issues, bad=bad)


def _direction_problem(value: object, issues: list[ValidationIssue]) -> None:
    if value is None:
        issues.append(ValidationIssue("direction", "required", "is required"))
    elif type(value) is str:
        issues.append(
            ValidationIssue(
                "direction",
                "invalid_enum",
                f"must be one of {_DIRECTION_LIST}, got {safe_repr(value)}",
            )
        )
    else:
        issues.append(
            ValidationIssue(
                "direction",
                "invalid_type",
                f"must be a string, one of {_DIRECTION_LIST}; got {_type_name(value)}",
            )
        )


def _key_path(key: object) -> str:
    """An unknown key as an issue's path: itself when it is short printable text, else a
    bounded repr (a huge int, a lone surrogate or a megabyte-long key must not get through)."""
    if type(key) is str and key.isprintable() and len(key) <= _KEY_LIMIT:
        return key
    return safe_repr(key, limit=_KEY_LIMIT)


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


@lru_cache(maxsize=4096)
def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a standard 5-field cron expression, or None when it is.

    The expression is ASCII, its fields separated by spaces or tabs only (not other Unicode
    spaces, not newlines). A step (``*/15``, ``0-30/10``) must be 1 up to the number of values
    its field has: minute 60, hour 24, day-of-month 31, month 12, day-of-week 7.

    >>> cron_problem("*/15 9-17 * * MON-FRI") is None
    True
    >>> cron_problem("0 0 12 * * ?")[:12]
    'has 6 fields'
    >>> cron_problem("*/100 * * * *")
    "has step '*/100' in the minute field; a step must be 1..60"
    """
    character = _NOT_CRON_TEXT.search(expression)
    if character is not None:
        return (
            f"contains U+{ord(character.group()):04X} at index {character.start()}; a cron "
            "expression is ASCII, its fields separated by spaces or tabs"
        )
    text = expression.strip(" \t")
    if text.startswith("@"):
        if text.lower() in _MACROS:
            text = _MACROS[text.lower()]
        else:
            return f"unknown macro {safe_repr(text)}; use one of {', '.join(_MACROS)}"
    fields = _CRON_SEPARATOR.split(text) if text else []
    if len(fields) != 5:
        return (
            f"has {len(fields)} field{'s' if len(fields) != 1 else ''}; only the standard 5-field "
            "form (minute hour day-of-month month day-of-week) is accepted, not 6/7-field forms "
            "with seconds or years (Quartz)"
        )
    for field in fields:
        bare = _NAMES.sub("", field.upper())
        for token in _QUARTZ_TOKENS:
            if token in bare:
                return (
                    f"uses {token!r}, a Quartz/Jenkins extension that standard cron does not have"
                )
    for (name, size), field in zip(_CRON_FIELDS, fields, strict=True):
        for term in field.split(","):
            _, slash, step = term.partition("/")
            digits = step.lstrip("0")
            # a step of digits out of range (cronsim reports other bad steps, "*/x" or "*/")
            if slash and step.isdigit() and not (0 < len(digits) <= 2 and int(digits) <= size):
                return f"has step {safe_repr(term)} in the {name} field; a step must be 1..{size}"
    try:
        CronSim(" ".join(fields), _CRON_EPOCH)
    except (CronSimError, ValueError, IndexError, KeyError) as exc:
        return f"is not a valid cron expression: {exc}"
    return None


def validate_create_input(data: object) -> CreateSyncConfigInput:
    """Validate a wire dict strictly and build :class:`CreateSyncConfigInput`.

    Raises :class:`ValidationError` with every issue found; nothing is coerced or stripped.
    """
    return CreateSyncConfigInput(*create_input_fields(data))


#: The fields of a valid input, in :class:`CreateSyncConfigInput`'s order.
InputFields = tuple[str, str, str, SyncDirection, str, str, bool, str | None]


def create_input_fields(data: object) -> InputFields:
    """:func:`validate_create_input`'s checks, returning the fields as a tuple: the hub's hot
    path builds the config from them without an intermediate frozen object."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ValidationError(
            [
                ValidationIssue(
                    "", "not_a_mapping", f"input must be a mapping, not {_type_name(data)}"
                )
            ]
        )
    issues: list[ValidationIssue] = []
    for key in () if _KNOWN.issuperset(data) else data:
        if key not in _KNOWN:
            issues.append(ValidationIssue(_key_path(key), "unknown_field", _UNKNOWN_FIELD))
    get = data.get
    integration_id = _text("integrationId", get("integrationId"), issues)
    connection_id = _text("connectionId", get("connectionId"), issues)
    name = _text("name", get("name"), issues)
    direction = get("direction")
    if type(direction) is str and direction in _DIRECTIONS:
        direction = _DIRECTIONS[direction]
    elif not isinstance(direction, SyncDirection):
        _direction_problem(direction, issues)
    source_object = _text("sourceObject", get("sourceObject"), issues)
    target_object = _text("targetObject", get("targetObject"), issues)

    enabled = get("scheduleEnabled")
    if enabled is None:
        enabled = False
    elif type(enabled) is not bool:
        issues.append(
            ValidationIssue(
                "scheduleEnabled", "invalid_type", f"must be a boolean, not {_type_name(enabled)}"
            )
        )
    cron = get("scheduleCron")
    if cron is None:
        if enabled is True:
            issues.append(
                ValidationIssue("scheduleCron", "required", "is required when scheduleEnabled")
            )
    elif _text("scheduleCron", cron, issues, _BAD_CRON_CHARACTER) is not None:
        problem = cron_problem(cron)
        if problem is not None:
            issues.append(ValidationIssue("scheduleCron", "invalid_cron", problem))

    if issues:
        raise ValidationError(issues)
    # No issue means every field is usable: the Nones of the helpers are gone
    return (
        integration_id,  # type: ignore[return-value]
        connection_id,
        name,
        direction,
        source_object,
        target_object,
        enabled,
        cron,
    )
