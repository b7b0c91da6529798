"""Field transforms, computed templates and lookup maps for field mappings: a fixed vocabulary,
never code.

A TRANSFORM mapping names one transform; a COMPUTED mapping renders a template of
``${dotted.path}`` references; a LOOKUP mapping looks its source value up in a static map. All
are checked when the mapping is added and compiled into plain functions: nothing here ever
evaluates an expression as code::

    >>> compile_transform("number")(" 42 ")
    42
    >>> render_template("${first} ${last}", {"first": "Ada", "last": "Lovelace"})
    'Ada Lovelace'
    >>> transform_problem("upper")
    "unknown transform 'upper' (did you mean 'uppercase'?); use one of uppercase, lowercase, ..."
    >>> compile_lookup({"map": {"g": "gold"}, "default": "basic"})("s")
    'basic'

The vocabulary is ContractSpec's ``BasicFieldTransformer``, matched exactly where ContractSpec
matches with ``startsWith`` (so ``"uppercaseXYZ"`` passes there) and silently returns the value for
an unknown expression:

=====================  ==================================================================
expression             effect on the source value
=====================  ==================================================================
``uppercase``          upper-cases a string; other values unchanged
``lowercase``          lower-cases a string; other values unchanged
``trim``               strips surrounding whitespace of a string; other values unchanged
``default:<json>``     replaces None (a missing value) with the JSON value, e.g. ``default:"n/a"``
``concat:<sep>``       joins a list with ``<sep>`` (empty: a space); other values unchanged
``split:<sep>``        splits a string on ``<sep>`` (empty: a comma); other values unchanged
``number``             an int when integral, else a float; see :func:`compile_transform`
``boolean``            True or False from a few spellings; see :func:`compile_transform`
``string``             text; None stays None; see :func:`compile_transform`
=====================  ==================================================================

Every transform but ``default:`` maps None to None, so a mapping's ``defaultValue`` and
``isRequired`` still see a missing value as missing. A value a transform cannot convert raises
:class:`TransformError` (the run counts the record as failed), never anything else.

Paths (``sourceField``, ``targetField``, template references) are dotted keys into nested objects:
``get_path({"a": {"b": 1}}, "a.b") == 1``. List indexes are not supported (``items.0`` looks up the
key ``"0"``, which a list does not have), and a key that itself contains a dot cannot be reached.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
import reprlib
from collections.abc import Callable, Mapping
from typing import ClassVar

from attrs import field, frozen

from sync_sdk.errors import SyncSdkError

__all__ = [
    "FieldTransform",
    "TransformError",
    "compile_lookup",
    "compile_transform",
    "get_path",
    "lookup_problem",
    "path_problem",
    "render_template",
    "set_path",
    "template_problem",
    "transform_problem",
]

_VOCABULARY = (
    "uppercase, lowercase, trim, number, boolean, string, default:<json>, concat:<separator>, "
    "split:<separator>"
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_PREVIEW_LENGTH = 60
_HINT_LENGTH = 40  # difflib is quadratic: no suggestion for a long head


class TransformError(SyncSdkError, ValueError):
    """A transform expression outside the vocabulary, or a value a transform cannot convert.

    >>> compile_transform("number")("twelve")
    Traceback (most recent call last):
    ...
    sync_sdk.transforms.TransformError: number: 'twelve' is not a decimal number

    .. versionadded:: 0.2.0
    """

    code: ClassVar[str] = "TRANSFORM_FAILED"
    status: ClassVar[int] = 422
    title: ClassVar[str] = "Transform failed"


def _preview(value: object) -> str:
    """A bounded repr: an expression or a value may be a megabyte of junk."""
    if isinstance(value, str):
        if len(value) <= _PREVIEW_LENGTH:
            return repr(value)
        return f"{value[:_PREVIEW_LENGTH]!r}... ({len(value)} characters)"
    shortener = reprlib.Repr()
    shortener.maxstring = shortener.maxother = shortener.maxlong = _PREVIEW_LENGTH
    try:
        return shortener.repr(value)
    except Exception:  # an int too long to print, or a broken __repr__: the type will do
        return f"<{type(value).__name__}>"


_KINDS = {type(None): "null", bool: "boolean", dict: "object", list: "list", str: "string"}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _a(value: object) -> str:
    """The value's kind with its article: ``null``, ``a list``, ``an int``."""
    kind = _kind(value)
    if kind == "null":
        return kind
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


# ---------------------------------------------------------------- the transforms themselves


def _uppercase(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _lowercase(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _trim(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


_EXACT_FLOAT_INTEGERS = 2**53  # beyond, an integral float is not an exact integer


def _integral(number: float, name: str, shown: object) -> int | float:
    if not math.isfinite(number):
        raise TransformError(f"{name}: {_preview(shown)} is out of range (no NaN or infinity)")
    exact = number.is_integer() and abs(number) <= _EXACT_FLOAT_INTEGERS
    return int(number) if exact else number


def _number(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TransformError("number: a boolean is not a number (use the boolean transform)")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _integral(value, "number", value)
    if not isinstance(value, str):
        raise TransformError(f"number: {_a(value)} is not a number")
    text = value.strip()
    if not _NUMBER.fullmatch(text):
        raise TransformError(f"number: {_preview(value)} is not a decimal number")
    if _INTEGER.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise TransformError(f"number: {_preview(value)} has too many digits") from None
    return _integral(float(text), "number", value)


def _boolean(value: object) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise TransformError(
        f"boolean: {_preview(value)} is not one of true/false, yes/no, 1/0 (any case)"
    )


def _text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise TransformError(f"{name}: an integer with too many digits") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TransformError(f"{name}: {value!r} is not a JSON number")
        return repr(value)
    if isinstance(value, dict | list):
        try:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise TransformError(f"{name}: the {_kind(value)} is not JSON ({exc})") from exc
    raise TransformError(f"{name}: {_a(value)} is not a JSON value")


def _string(value: object) -> object:
    return None if value is None else _text(value, "string")


def _concat(separator: str) -> Callable[[object], object]:
    def concat(value: object) -> object:
        if not isinstance(value, list | tuple):
            return value
        return separator.join("" if item is None else _text(item, "concat") for item in value)

    return concat


def _split(separator: str) -> Callable[[object], object]:
    def split(value: object) -> object:
        return value.split(separator) if isinstance(value, str) else value

    return split


def _default(text: str, default: object) -> Callable[[object], object]:
    if not isinstance(default, dict | list):
        return lambda value: default if value is None else value

    def replace_none(value: object) -> object:
        # parsed afresh each time: records must not share (and mutate) one default object;
        # parsing cannot fail now, where a deep copy of a deeply nested default could
        return _load_json(text) if value is None else value

    return replace_none


_SIMPLE: dict[str, Callable[[object], object]] = {
    "uppercase": _uppercase,
    "lowercase": _lowercase,
    "trim": _trim,
    "number": _number,
    "boolean": _boolean,
    "string": _string,
}
_WITH_ARGUMENT = {"default": "<json>", "concat": "<separator>", "split": "<separator>"}


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range for a JSON number")
    return number


def _load_json(text: str) -> object:
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)


def _parse_default(argument: str) -> tuple[object, str | None]:
    if not argument.strip():
        return None, 'default: needs a JSON value after the colon, e.g. default:"n/a" or default:0'
    try:
        return _load_json(argument), None
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} at char {exc.pos}"
    except ValueError as exc:  # NaN/Infinity, 1e999, or an integer with too many digits
        reason = str(exc)[:_PREVIEW_LENGTH]
    except RecursionError:
        reason = "nested too deeply"
    return None, (
        f"default: {_preview(argument)} is not JSON ({reason}); a text default is quoted, "
        'e.g. default:"n/a"'
    )


def _suggestion(head: str) -> str:
    candidate = head.strip().lower()
    if len(candidate) > _HINT_LENGTH:
        return ""
    names = [*_SIMPLE, *_WITH_ARGUMENT]
    found = difflib.get_close_matches(candidate, names, n=1, cutoff=0.6)
    if not found:
        return ""
    name = found[0]
    shown = f"{name}:{_WITH_ARGUMENT[name]}" if name in _WITH_ARGUMENT else name
    return f" (did you mean {shown!r}?)"


def _compile(expression: object) -> tuple[Callable[[object], object] | None, str | None]:
    """The transform function, or why there is none."""
    if not isinstance(expression, str):
        return None, f"must be a string, not {_a(expression)}"
    if not expression.strip():
        return None, f"is {'empty' if not expression else 'blank'}; use one of {_VOCABULARY}"
    if expression in _SIMPLE:
        return _SIMPLE[expression], None
    head, colon, argument = expression.partition(":")
    if colon and head in _WITH_ARGUMENT:
        if head == "default":
            default, problem = _parse_default(argument)
            return (None, problem) if problem else (_default(argument, default), None)
        if head == "concat":
            return _concat(argument or " "), None
        return _split(argument or ","), None
    if head in _SIMPLE:
        return None, f"{head!r} takes no argument: write {head!r}, not {_preview(expression)}"
    if head in _WITH_ARGUMENT:
        return None, (
            f"{head!r} needs a colon and its argument: {head}:{_WITH_ARGUMENT[head]}"
            + (" (an empty separator means a space)" if head == "concat" else "")
            + (" (an empty separator means a comma)" if head == "split" else "")
        )
    return None, (
        f"unknown transform {_preview(expression)}{_suggestion(head)}; use one of {_VOCABULARY} "
        "(exact and case-sensitive)"
    )


def transform_problem(expression: object) -> str | None:
    """Why ``expression`` is not a transform of the vocabulary, or None when it is.

    Never raises; the message is bounded whatever the expression's size.

    >>> transform_problem("uppercase") is None
    True
    >>> print(transform_problem("default:n/a"))
    default: 'n/a' is not JSON (Expecting value at char 0); a text default is quoted, e.g. ...
    >>> transform_problem("uppercaseXYZ")[:55]
    "unknown transform 'uppercaseXYZ' (did you mean 'upperca"
    >>> transform_problem("trim:x")
    "'trim' takes no argument: write 'trim', not 'trim:x'"

    .. versionadded:: 0.2.0
    """
    return _compile(expression)[1]


@frozen
class FieldTransform:
    """A checked transform: call it on a source value. Made by :func:`compile_transform`.

    >>> compile_transform("split:;")
    FieldTransform(expression='split:;')

    .. versionadded:: 0.2.0
    """

    expression: str
    _function: Callable[[object], object] = field(repr=False, eq=False)

    def __call__(self, value: object) -> object:
        return self._function(value)


def compile_transform(expression: str) -> FieldTransform:
    """The transform ``expression`` names, as a function of one value.

    Raises :class:`TransformError` for an expression outside the vocabulary (with the message of
    :func:`transform_problem`), and the function raises it for a value it cannot convert.

    Where ContractSpec relies on JavaScript's loose conversions, these are strict:

    - ``number``: an int, a float, or a decimal string (surrounding whitespace ignored) becomes an
      int when integral, else a float: ``"3.0"`` gives 3, ``"1e3"`` 1000, ``"2.5"`` 2.5. An integer
      string stays exact however long; a float beyond 2**53 stays a float (it is not an exact
      integer), so ``"1e20"`` gives ``1e+20``. A boolean,
      an empty string, ``"0x10"``, ``"1_000"``, NaN and infinity raise (JavaScript's
      ``Number("")`` is 0 and ``Number(true)`` is 1).
    - ``boolean``: a bool, 0 or 1, or the strings true/false, yes/no, 1/0 in any case; anything
      else raises. ContractSpec's ``Boolean(value)`` is JavaScript truthiness, under which the
      string ``"false"`` is true.
    - ``string``: a string unchanged, a bool as ``"true"``/``"false"``, a number as its repr
      (``1.0`` gives ``"1.0"``), an object or a list as compact JSON. None stays None (JavaScript
      gives ``"null"``).
    - ``concat:<sep>`` renders each item of a list as ``string`` does, None as ``""``.

    >>> number = compile_transform("number")
    >>> number("3.0"), number(" 7 "), number(2.5), number(None)
    (3, 7, 2.5, None)
    >>> compile_transform("boolean")("No")
    False
    >>> compile_transform("string")({"a": [1, True]})
    '{"a":[1,true]}'
    >>> compile_transform("concat:")(["Ada", None, 1815])
    'Ada  1815'
    >>> compile_transform('default:{"tier": "free"}')(None)
    {'tier': 'free'}
    >>> compile_transform("lowercase")(12)
    12
    >>> compile_transform("uppercase ")
    Traceback (most recent call last):
    ...
    sync_sdk.transforms.TransformError: unknown transform 'uppercase ' (did you mean ...

    .. versionadded:: 0.2.0
    """
    function, problem = _compile(expression)
    if function is None:
        raise TransformError(problem)
    return FieldTransform(expression, function)


# ---------------------------------------------------------------- dotted paths


def path_problem(path: object) -> str | None:
    """Why ``path`` is not a dotted path (``"address.city"``), or None when it is.

    >>> path_problem("address.city") is None
    True
    >>> path_problem("address..city")
    "has an empty segment in 'address..city' (a leading, trailing or doubled '.')"

    .. versionadded:: 0.2.0
    """
    if not isinstance(path, str):
        return f"must be a string, not {_a(path)}"
    if not path:
        return "is empty"
    for segment in path.split("."):
        if not segment:
            return f"has an empty segment in {_preview(path)} (a leading, trailing or doubled '.')"
        if segment != segment.strip():
            return f"has spaces around the segment {_preview(segment)} in {_preview(path)}"
    return None


def _segments(path: str) -> list[str]:
    problem = path_problem(path)
    if problem is not None:
        raise TransformError(f"invalid path {_preview(path)}: {problem}")
    return path.split(".")


def get_path(record: Mapping[str, object], path: str) -> object:
    """The value at dotted ``path`` in ``record``; None when a key is missing or an intermediate
    value is not an object.

    List indexes are not supported: ``"items.0"`` is None when ``items`` is a list. A malformed
    path raises :class:`TransformError`.

    >>> record = {"contact": {"email": "ada@example.com"}, "tags": ["a"]}
    >>> get_path(record, "contact.email")
    'ada@example.com'
    >>> get_path(record, "contact.phone") is None, get_path(record, "tags.0") is None
    (True, True)

    .. versionadded:: 0.2.0
    """
    return _walk(record, _segments(path))


def _walk(record: Mapping[str, object], segments: list[str]) -> object:
    current: object = record
    for segment in segments:
        if not isinstance(current, Mapping):
            return None
        current = current.get(segment)
    return current


def set_path(target: dict[str, object], path: str, value: object) -> None:
    """Set ``value`` at dotted ``path`` in ``target``, creating the missing intermediate dicts.

    Raises :class:`TransformError`, and changes nothing, when an intermediate value exists and is
    not a dict (None included: two mappings disagree about the target's shape).

    >>> target: dict[str, object] = {}
    >>> set_path(target, "contact.email", "ada@example.com")
    >>> target
    {'contact': {'email': 'ada@example.com'}}
    >>> set_path(target, "contact.email.domain", "example.com")
    Traceback (most recent call last):
    ...
    sync_sdk.transforms.TransformError: cannot set 'contact.email.domain': 'contact.email' is a ...

    .. versionadded:: 0.2.0
    """
    *parents, last = _segments(path)
    node = target
    for depth, segment in enumerate(parents):
        if segment not in node:
            # every later parent is new too, so a failure can only come before any change
            child: dict[str, object] = {}
            node[segment] = child
            node = child
            continue
        existing = node[segment]
        if not isinstance(existing, dict):
            reached = ".".join(parents[: depth + 1])
            raise TransformError(
                f"cannot set {_preview(path)}: {_preview(reached)} is {_a(existing)}, not an object"
            )
        node = existing
    node[last] = value


# ---------------------------------------------------------------- COMPUTED templates


def _parse_template(template: object) -> tuple[list[str | list[str]], str | None]:
    """The template's parts (literal text, or a reference's path segments), or why it is bad."""
    if not isinstance(template, str):
        return [], f"must be a string, not {_a(template)}"
    parts: list[str | list[str]] = []
    position = 0
    while (start := template.find("${", position)) != -1:
        end = template.find("}", start + 2)
        if end == -1:
            return [], f"has an unbalanced '${{' at char {start}: no closing '}}'"
        inner = template[start + 2 : end]
        if "${" in inner:
            return [], f"has a '${{' inside the reference at char {start}"
        problem = path_problem(inner)
        if problem is not None:
            return [], f"has a reference at char {start} whose path {problem}"
        if start > position:
            parts.append(template[position:start])
        parts.append(inner.split("."))
        position = end + 1
    if position < len(template):
        parts.append(template[position:])
    if not any(isinstance(part, list) for part in parts):
        return [], "has no ${field.path} reference (a fixed value is a CONSTANT mapping)"
    return parts, None


def template_problem(expression: object) -> str | None:
    """Why ``expression`` is not a COMPUTED template, or None when it is.

    A template is text with at least one ``${dotted.path}`` reference; there is no escape for a
    literal ``${``. Never raises.

    >>> template_problem("${first} ${last}") is None
    True
    >>> template_problem("${first} ${last")
    "has an unbalanced '${' at char 9: no closing '}'"
    >>> template_problem("Hello ${}")
    'has a reference at char 6 whose path is empty'

    .. versionadded:: 0.2.0
    """
    return _parse_template(expression)[1]


def render_template(template: str, record: Mapping[str, object]) -> str:
    """The template with each ``${path}`` replaced by the record's value there, as text.

    Values are rendered as the ``string`` transform renders them; a missing value or None renders
    as ``""``. Raises :class:`TransformError` for an invalid template or a value with no JSON text.

    >>> record = {"first": "Ada", "address": {"city": "London"}, "vip": True}
    >>> render_template("${first} (${address.city}, vip=${vip}) ${fax}", record)
    'Ada (London, vip=true) '

    .. versionadded:: 0.2.0
    """
    parts, problem = _parse_template(template)
    if problem is not None:
        raise TransformError(f"invalid template {_preview(template)}: {problem}")
    rendered: list[str] = []
    for part in parts:
        if isinstance(part, str):
            rendered.append(part)
            continue
        value = _walk(record, part)
        rendered.append("" if value is None else _text(value, "template"))
    return "".join(rendered)


# ---------------------------------------------------------------- LOOKUP maps

_LOOKUP_KEYS = frozenset({"map", "default"})
_LOOKUP_SHAPE = '{"map": {"<source value>": <target value>, ...}, "default": <optional value>}'
# ContractSpec's LookupConfig: a lookup in another object, which a pure mapping cannot do
_TABLE_LOOKUP_KEYS = frozenset({"sourceObject", "lookupField", "returnField"})


def lookup_problem(config: object) -> str | None:
    """Why ``config`` is not a LOOKUP mapping's ``lookupConfig``, or None when it is.

    A lookup config is an object with a non-empty ``"map"`` from source values (as text, since
    JSON keys are strings) to target values, and optionally a ``"default"`` for a source value
    the map lacks; nothing else. Never raises; the message is bounded.

    >>> lookup_problem({"map": {"US": "United States"}, "default": None}) is None
    True
    >>> lookup_problem({"map": {}})
    '"map" is empty: it needs at least one source value'
    >>> print(lookup_problem({"sourceObject": "crm", "lookupField": "id", "returnField": "name"}))
    has unknown keys 'lookupField', 'returnField', 'sourceObject'; a lookup maps values through ...

    .. versionadded:: 0.2.0
    """
    if not isinstance(config, Mapping):
        return f"must be an object {_LOOKUP_SHAPE}, not {_a(config)}"
    unknown = [key for key in config if key not in _LOOKUP_KEYS]
    if unknown:
        shown = ", ".join(_preview(key) for key in sorted(unknown, key=str)[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        table = (
            " (a lookup in another object, ContractSpec's sourceObject/lookupField/returnField, "
            "is not supported)"
            if _TABLE_LOOKUP_KEYS.intersection(unknown)
            else ""
        )
        return (
            f"has unknown key{'s' if len(unknown) > 1 else ''} {shown}{more}; a lookup maps values "
            f"through its static map{table}: {_LOOKUP_SHAPE}"
        )
    if "map" not in config:
        return f'needs a "map" from source values to target values: {_LOOKUP_SHAPE}'
    table_map = config["map"]
    if not isinstance(table_map, Mapping):
        return f'"map" must be an object from source values to target values, not {_a(table_map)}'
    if not table_map:
        return '"map" is empty: it needs at least one source value'
    if not all(isinstance(key, str) for key in table_map):
        return '"map" has a key that is not text (JSON keys are strings)'
    return None


def compile_lookup(config: Mapping[str, object]) -> Callable[[object], object]:
    """The LOOKUP function of ``config`` (see :func:`lookup_problem` for its shape).

    The source value's text (a string as is; a boolean, an integer or a float as the ``string``
    transform writes it: ``true``, ``7``, ``2.5``) is looked up in ``"map"``; a value the map
    lacks gives ``"default"``, or raises :class:`TransformError` when the config has no
    ``"default"``. None (a missing value) stays None, so that the mapping's ``defaultValue`` and
    ``isRequired`` apply; an object or a list cannot be looked up (:class:`TransformError`). An
    object or a list found is a fresh copy each time. An invalid config raises
    :class:`TransformError` with the message of :func:`lookup_problem`.

    >>> tier = compile_lookup({"map": {"1": "gold", "true": "vip"}})
    >>> tier(1), tier(True), tier(None)
    ('gold', 'vip', None)
    >>> tier("2")
    Traceback (most recent call last):
    ...
    sync_sdk.transforms.TransformError: lookup: '2' is not in the map, and the lookup has no ...

    .. versionadded:: 0.2.0
    """
    problem = lookup_problem(config)
    if problem is not None:
        raise TransformError(f"invalid lookupConfig: {problem}")
    table = dict(config["map"])  # type: ignore[call-overload]  # checked: a mapping of strings
    has_default = "default" in config
    default = config.get("default")

    def lookup(value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, str | bool | int | float):
            raise TransformError(
                f"lookup: {_a(value)} cannot be looked up (the map's keys are text)"
            )
        key = _text(value, "lookup")
        if key in table:
            found = table[key]
        elif has_default:
            found = default
        else:
            raise TransformError(
                f'lookup: {_preview(value)} is not in the map, and the lookup has no "default"'
            )
        # records must not share (and mutate) one object of the config
        return copy.deepcopy(found) if isinstance(found, dict | list) else found

    return lookup
