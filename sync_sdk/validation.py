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

import enum
import json
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, NoReturn, TypeVar, cast
from unicodedata import category

import attrs
from attrs import frozen
from cronsim import CronSim, CronSimError

from sync_sdk.errors import ValidationError, ValidationIssue, safe_repr
from sync_sdk.models import Check, CreateSyncConfigInput, RequiredWhen, SyncDirection, camel_case

__all__ = [
    "FACTS",
    "MAX_STRING_LENGTH",
    "InputFields",
    "create_input_fields",
    "cron_problem",
    "fields_for",
    "is_blank",
    "json_issues",
    "text_problems",
    "validate_create_input",
    "validator_for",
]

MAX_STRING_LENGTH = 1024

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
    non_empty: bool = True,
) -> str | None:
    """Append the problems of a string field; the value when it is a usable string."""
    if type(value) is not str:
        issues.append(
            ValidationIssue(path, "invalid_type", f"must be a string, not {_type_name(value)}")
        )
        return None
    found = len(issues)
    blank = non_empty and is_blank(value)
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
        return []  # the fast path of the compiled validators
    issues: list[ValidationIssue] = []
    _string(path, value, issues, max_length)
    return issues


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


# -- JSON values --------------------------------------------------------------------------------

_MAX_DEPTH = 32
_MAX_INT_DIGITS = 4000  # below Python's int-to-text limit (sys.get_int_max_str_digits)
_TOO_MANY_DIGITS = 10**_MAX_INT_DIGITS
_SURROGATE = re.compile("[\ud800-\udfff]")
_SHOWN_KEY_LENGTH = 60


def json_issues(value: object, path: str) -> list[ValidationIssue]:
    """Every reason ``value`` is not a JSON value that every backend can store, with its path:
    objects with string keys, arrays (lists or tuples), strings, finite numbers of at most 4,000
    digits, booleans and null, nested at most 32 levels; no lone surrogate in a key or a string.

    Messages name the kind of a bad value, never the value (it may be a secret).

    >>> json_issues({"tags": ["a", 1.5, None]}, "config")
    []
    >>> [(i.path, i.code) for i in json_issues({"a": [float("nan")], 1: "x"}, "config")]
    [('config.a[0]', 'invalid_number'), ('config', 'invalid_type')]

    .. versionadded:: 0.2.0
    """
    issues: list[ValidationIssue] = []
    _value_issues(value, path, 0, issues)
    return issues


def _shown(key: str) -> str:
    """A key for a path: printable whatever it holds (a lone surrogate), and bounded."""
    text = key.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _SHOWN_KEY_LENGTH else f"{text[:_SHOWN_KEY_LENGTH]}..."


def _value_issues(value: object, path: str, depth: int, issues: list[ValidationIssue]) -> None:
    # messages name the kind of a value, never the value: it may be a secret
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if _SURROGATE.search(value):
            issues.append(
                ValidationIssue(
                    path,
                    "invalid_characters",
                    "must not contain a lone surrogate (UTF-8 cannot encode it)",
                )
            )
        return
    if isinstance(value, int):
        if abs(value) >= _TOO_MANY_DIGITS:
            issues.append(
                ValidationIssue(
                    path, "invalid_number", f"must have at most {_MAX_INT_DIGITS} digits"
                )
            )
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            issues.append(ValidationIssue(path, "invalid_number", "must be finite, not NaN or inf"))
        return
    if isinstance(value, dict | list | tuple) and depth >= _MAX_DEPTH:
        issues.append(
            ValidationIssue(path, "too_deep", f"must nest at most {_MAX_DEPTH} levels deep")
        )
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                issues.append(
                    ValidationIssue(
                        path, "invalid_type", f"keys must be strings, not {type(key).__name__}"
                    )
                )
                continue
            item_path = f"{path}.{_shown(key)}"
            if _SURROGATE.search(key):
                issues.append(
                    ValidationIssue(
                        item_path,
                        "invalid_characters",
                        "key must not contain a lone surrogate (UTF-8 cannot encode it)",
                    )
                )
            _value_issues(item, item_path, depth + 1, issues)
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _value_issues(item, f"{path}[{index}]", depth + 1, issues)
        return
    issues.append(
        ValidationIssue(
            path,
            "invalid_type",
            "must be a JSON value (an object, an array, a string, a number, true, false or "
            f"null), not {type(value).__name__}",
        )
    )


# -- validators compiled from a model's declared fields -----------------------------------------

_Model = TypeVar("_Model")
#: The facts an input field may declare in its attrs ``metadata`` (see :mod:`sync_sdk.models`).
FACTS = frozenset({"non_empty", "json", "min", "max", "cron", "secret"})


@frozen
class _Field:
    """One input field as the compiler sees it: its wire key, kind and facts."""

    name: str  # the keyword of the model's __init__
    key: str  # the wire (camelCase) name
    kind: str  # "str", "bool", "int", "enum" or "json"
    required: bool
    default: object
    positional: bool
    facts: Mapping[str, Any]
    choices: type[enum.Enum] | None = None


def _declared_fields(model: type) -> list[_Field]:
    if not isinstance(model, type) or not attrs.has(model):
        raise TypeError(f"{model!r} is not a model (an attrs class)")
    hints = typing.get_type_hints(model)
    found = []
    for attribute in attrs.fields(model):
        where = f"{model.__name__}.{attribute.name}"
        facts = attribute.metadata
        unknown = set(facts) - FACTS
        if unknown:
            raise TypeError(f"{where}: unknown validation facts {sorted(unknown)}; see FACTS")
        if not attribute.init or isinstance(attribute.default, attrs.Factory):  # type: ignore[arg-type]
            raise TypeError(f"{where}: an input field is set by __init__ and has a plain default")
        kind, choices = _kind(hints[attribute.name], facts, where)
        bounds = [facts[k] for k in ("min", "max") if k in facts]
        if bounds and (kind != "int" or not all(type(bound) is int for bound in bounds)):
            raise TypeError(f"{where}: min and max are integer bounds of an int field")
        if facts.get("cron") and kind != "str":
            raise TypeError(f"{where}: cron is a fact of a str field")
        if facts.get("secret") and kind != "json":
            # the other kinds' messages show the value, or a character of it
            raise TypeError(f"{where}: secret is a fact of a JSON field")
        found.append(
            _Field(
                attribute.alias or attribute.name,
                camel_case(attribute.name),
                kind,
                attribute.default is attrs.NOTHING,
                attribute.default,
                not attribute.kw_only,
                facts,
                choices,
            )
        )
    return found


def _kind(hint: Any, facts: Mapping[str, Any], where: str) -> tuple[str, type[enum.Enum] | None]:
    if facts.get("json"):
        return "json", None
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(options) == 1:  # X | None: None is absent, as for every field
            hint = options[0]
    if hint in (str, bool, int):
        return hint.__name__, None
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if not all(type(member.value) is str for member in hint):
            raise TypeError(f"{where}: an enum field's values are strings")
        return "enum", hint
    raise TypeError(
        f"{where}: no validation for {hint!r}; an input field is str, bool, int, a string enum, "
        "or a JSON value (Any with metadata json=True)"
    )


def _not_a_mapping(data: object) -> NoReturn:
    raise ValidationError(
        [ValidationIssue("", "not_a_mapping", f"input must be a mapping, not {_type_name(data)}")]
    )


def _unknown(
    data: Mapping[object, object],
    known: frozenset[str],
    message: str,
    issues: list[ValidationIssue],
) -> None:
    for key in data:
        if key not in known:
            issues.append(ValidationIssue(_key_path(key), "unknown_field", message))


def _enum_problem(path: str, value: object, issues: list[ValidationIssue], choices: str) -> None:
    if type(value) is str:
        issues.append(
            ValidationIssue(
                path, "invalid_enum", f"must be one of {choices}, got {safe_repr(value)}"
            )
        )
    else:
        issues.append(
            ValidationIssue(
                path,
                "invalid_type",
                f"must be a string, one of {choices}; got {_type_name(value)}",
            )
        )


def _required_when(path: str, other: str, value: object) -> ValidationIssue:
    if value is True:
        return ValidationIssue(path, "required", f"is required when {other}")
    shown = value.value if isinstance(value, enum.Enum) else json.dumps(value)
    return ValidationIssue(path, "required", f"is required when {other} is {shown}")


class _Source:
    """The lines of a generated function and the names they use."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, object] = {}

    def add(self, indent: int, *lines: str) -> None:
        self.lines.extend("    " * indent + line for line in lines)

    def name(self, name: str, value: object) -> str:
        self.names[name] = value
        return name


def _absent(src: _Source, index: int, field: _Field) -> str:
    """The statement for a missing (or null) value: an issue, or the default."""
    if field.required:
        return f'issues.append(_VI({field.key!r}, "required", "is required"))'
    if field.default is None:
        return "pass"
    if type(field.default) in (bool, int, str):
        return f"v{index} = {field.default!r}"
    return f"v{index} = {src.name(f'_d{index}', field.default)}"


def _field_code(src: _Source, index: int, field: _Field) -> None:
    v, key, absent = f"v{index}", repr(field.key), _absent(src, index, field)
    src.add(1, f"{v} = get({key})")
    if field.kind == "str":
        non_empty = bool(field.facts.get("non_empty"))
        cron = bool(field.facts.get("cron"))
        # The common case, as str.isprintable() rules out controls, surrogates, format characters
        # and every whitespace but " ": such a str is blank only when all spaces
        fast = f"type({v}) is str and len({v}) <= {MAX_STRING_LENGTH} and {v}.isprintable()"
        if non_empty:
            fast = (
                f"type({v}) is str and {v} and len({v}) <= {MAX_STRING_LENGTH}"
                f" and {v}.isprintable() and not {v}.isspace()"
            )
        slow = (
            f"_string({key}, {v}, issues, {MAX_STRING_LENGTH}, "
            f"{'_BAD_CRON' if cron else '_BAD'}, {non_empty})"
        )
        if cron:
            src.add(1, f"if {v} is None:", f"    {absent}")
            src.add(1, f"elif ({fast}) or {slow} is not None:")
            src.add(2, f"problem = _cron({v})", "if problem is not None:")
            src.add(3, f'issues.append(_VI({key}, "invalid_cron", problem))')
        else:
            src.add(1, f"if not ({fast}):")
            src.add(2, f"if {v} is None:", f"    {absent}", "else:", f"    {slow}")
    elif field.kind == "enum":
        assert field.choices is not None
        members = src.name(f"_e{index}", {member.value: member for member in field.choices})
        choices = src.name(f"_l{index}", ", ".join(member.value for member in field.choices))
        src.add(1, f"if type({v}) is str and {v} in {members}:", f"    {v} = {members}[{v}]")
        src.add(1, f"elif {v} is None:", f"    {absent}")
        src.add(1, f"elif not isinstance({v}, {src.name(f'_t{index}', field.choices)}):")
        src.add(2, f"_enum_problem({key}, {v}, issues, {choices})")
    elif field.kind == "json":
        src.add(
            1, f"if {v} is None:", f"    {absent}", "else:", f"    _json({v}, {key}, 0, issues)"
        )
    else:  # bool, int
        src.add(1, f"if {v} is None:", f"    {absent}")
        what = "a boolean" if field.kind == "bool" else "an integer"
        src.add(1, f"elif type({v}) is not {field.kind}:")
        src.add(2, f'issues.append(_VI({key}, "invalid_type", "must be {what}, not " + _tn({v})))')
        for fact, test, words in (("min", "<", "at least"), ("max", ">", "at most")):
            if fact in field.facts:
                bound = field.facts[fact]
                src.add(1, f"elif {v} {test} {bound}:")
                src.add(2, f'issues.append(_VI({key}, "out_of_range", "must be {words} {bound}"))')


def _checks_code(src: _Source, model: type, fields: list[_Field]) -> set[int]:
    """The model's checks, after its fields; the indexes of fields whose validity they read."""
    index = {attribute.name: i for i, attribute in enumerate(attrs.fields(model))}
    checks: tuple[Any, ...] = getattr(model, "checks", ())
    tracked: set[int] = set()
    for j, check in enumerate(checks):
        names = (check.field, check.other) if isinstance(check, RequiredWhen) else check.uses
        unknown = [name for name in (check.field, *names) if name not in index]
        if unknown:
            raise TypeError(f"{model.__name__}.checks[{j}]: no field {unknown[0]!r}")
        key = repr(fields[index[check.field]].key)
        if isinstance(check, RequiredWhen):
            if not check.values or not all(isinstance(x, bool | enum.Enum) for x in check.values):
                raise TypeError(f"{model.__name__}.checks[{j}]: values are booleans or members")
            other = index[check.other]
            # a valid value is the member (or bool) itself: identity also means valid
            test = " or ".join(
                f"v{other} is {src.name(f'_w{j}_{k}', value)}"
                for k, value in enumerate(check.values)
            )
            src.add(1, f"if v{index[check.field]} is None and ({test}):")
            src.add(2, f"issues.append(_required_when({key}, {fields[other].key!r}, v{other}))")
        elif isinstance(check, Check):
            used = [index[name] for name in check.uses]
            tracked.update(used)
            src.add(1, f"if {' and '.join(f'ok{i}' for i in used) or 'True'}:")
            src.add(2, f"problem = {src.name(f'_c{j}', check.problem)}(")
            src.add(3, *(f"v{i}," for i in used))
            src.add(2, ")", "if problem is not None:")
            src.add(3, f"issues.append(_VI({key}, {check.code!r}, problem))")
        else:
            raise TypeError(f"{model.__name__}.checks[{j}]: not a RequiredWhen or a Check")
    return tracked


_Compiled = tuple[Callable[[object], tuple[Any, ...]], Callable[[object], Any]]


def _compile(model: type[Any]) -> _Compiled:
    fields = _declared_fields(model)
    known = frozenset(field.key for field in fields)
    src = _Source()
    src.names.update(
        _VI=ValidationIssue,
        _VE=ValidationError,
        _Mapping=Mapping,
        _not_a_mapping=_not_a_mapping,
        _unknown=_unknown,
        _KNOWN=known,
        _UNKNOWN=f"is not a field of {model.__name__} (known fields: {', '.join(sorted(known))})",
        _string=_string,
        _BAD=_BAD_CHARACTER,
        _BAD_CRON=_BAD_CRON_CHARACTER,
        _cron=cron_problem,
        _enum_problem=_enum_problem,
        _json=_value_issues,
        _tn=_type_name,
        _required_when=_required_when,
        _model=model,
    )
    checks = _Source()
    checks.names = src.names
    tracked = _checks_code(checks, model, fields)
    src.add(
        1,
        "if type(data) is not dict and not isinstance(data, _Mapping):",
        "    _not_a_mapping(data)",
        "issues = []",
        "if not _KNOWN.issuperset(data):",
        "    _unknown(data, _KNOWN, _UNKNOWN, issues)",
        "get = data.get",
    )
    for index, field in enumerate(fields):
        if index in tracked:
            src.add(1, f"n{index} = len(issues)")
        _field_code(src, index, field)
        if index in tracked:
            src.add(1, f"ok{index} = len(issues) == n{index}")
    src.lines.extend(checks.lines)
    # No issue means every value is usable: the raw (invalid) values never get out
    src.add(1, "if issues:", "    raise _VE(issues)")
    body = "\n".join(src.lines)
    values = ", ".join(f"v{i}" for i in range(len(fields)))
    arguments = ", ".join(
        f"v{i}" if field.positional else f"{field.name}=v{i}" for i, field in enumerate(fields)
    )
    source = (
        f"def fields(data):\n{body}\n    return ({values}{',' if len(fields) == 1 else ''})\n\n"
        f"def from_dict(data):\n{body}\n    return _model({arguments})\n"
    )
    exec(compile(source, f"<sync_sdk validator {model.__name__}>", "exec"), src.names)
    as_fields, as_model = src.names["fields"], src.names["from_dict"]
    as_fields.__doc__ = f"Validate a wire mapping as {model.__name__}: its fields, in order."
    as_model.__doc__ = f"Validate a wire mapping and build {model.__name__}."
    return as_fields, as_model  # type: ignore[return-value]


_compiled: Callable[[Any], _Compiled] = cache(_compile)


def validator_for(model: type[_Model]) -> Callable[[object], _Model]:
    """The validator of an input model, compiled once from its declared fields and ``checks``.

    Each field's type comes from its annotation (``str``, ``bool``, ``int``, a string enum,
    ``X | None``), its facts from its attrs metadata (:data:`FACTS`: ``non_empty``, ``json``,
    ``min``/``max``, ``cron``, ``secret``), and it is required when it has no default; a null
    counts as absent. Every problem is reported at once, with the field's wire name as its path;
    unknown keys are refused. See :mod:`sync_sdk.models` for the vocabulary::

        >>> from sync_sdk.models import ListSyncRunsInput
        >>> validator_for(ListSyncRunsInput)({"syncConfigId": "sync_1", "limit": 5}).limit
        5
        >>> try:
        ...     validator_for(ListSyncRunsInput)({"syncConfigId": " ", "limit": 0, "x": 1})
        ... except ValidationError as err:
        ...     [(i.path, i.code) for i in err.issues]
        [('x', 'unknown_field'), ('syncConfigId', 'blank'), ('limit', 'out_of_range')]

    A model that declares anything else raises :class:`TypeError` naming the field.

    .. versionadded:: 0.2.0
    """
    return _compiled(model)[1]


def fields_for(model: type) -> Callable[[object], tuple[Any, ...]]:
    """:func:`validator_for`'s checks, returning the fields' values as a tuple in the model's
    order, without building the model (a hot path builds its own objects from them).

    >>> from sync_sdk.models import TriggerSyncInput
    >>> fields_for(TriggerSyncInput)({"syncConfigId": "sync_1"})
    ('sync_1', None, False)

    .. versionadded:: 0.2.0
    """
    return _compiled(model)[0]


#: The fields of a valid input, in :class:`CreateSyncConfigInput`'s order.
InputFields = tuple[str, str, str, SyncDirection, str, str, bool, str | None]

#: :func:`validate_create_input`'s checks, returning the fields as a tuple: the hub's hot path
#: builds the config from them without an intermediate frozen object.
create_input_fields = cast("Callable[[object], InputFields]", fields_for(CreateSyncConfigInput))
_validate_create = validator_for(CreateSyncConfigInput)


def validate_create_input(data: object) -> CreateSyncConfigInput:
    """Validate a wire dict strictly and build :class:`CreateSyncConfigInput`.

    Raises :class:`ValidationError` with every issue found; nothing is coerced or stripped.
    """
    return _validate_create(data)
