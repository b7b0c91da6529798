"""The exception tree of sync_sdk.

Every error the SDK raises on purpose is a :class:`SyncSdkError`; each one also subclasses the
matching builtin, so ``except ValueError`` keeps working for callers that know nothing of us::

    SyncSdkError (Exception)
    ├── ConfigurationError (ValueError)     CONFIGURATION_ERROR   500
    │   └── ConfigurationTypeError (TypeError)
    ├── ValidationError (ValueError)        VALIDATION_FAILED     422   .issues
    ├── AuthenticationRequired              UNAUTHENTICATED       401
    ├── PermissionDenied (PermissionError)  FORBIDDEN             403
    ├── NotFound (LookupError)              NOT_FOUND             404
    ├── Conflict                            CONFLICT              409
    ├── EventNotDeclared (ValueError)       EVENT_NOT_DECLARED    500
    └── StorageError                        STORAGE_ERROR         503

``to_problem()`` gives the problem-details dict that ContractSpec's clients expect::

    >>> NotFound("sync config 'x' not found").to_problem()["status"]
    404

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, ClassVar

from attrs import frozen

__all__ = [
    "AuthenticationRequired",
    "ConfigurationError",
    "ConfigurationTypeError",
    "Conflict",
    "EventNotDeclared",
    "NotFound",
    "PermissionDenied",
    "StorageError",
    "SyncSdkError",
    "ValidationError",
    "ValidationIssue",
    "safe_repr",
]

#: Issues that ``str(ValidationError)`` shows; ``.issues`` keeps them all.
SHOWN_ISSUES = 20


def safe_repr(value: object, limit: int = 80) -> str:
    r"""A repr of a caller's value fit for a message: at most ``limit`` characters, encodable as
    UTF-8, and never raising (a huge int, a lone surrogate, a broken ``__repr__``).

    >>> safe_repr("sync_1"), safe_repr(10**5000), safe_repr("\ud800")
    ("'sync_1'", '<int of 5001 digits>', "'\\ud800'")
    >>> safe_repr("x" * 1000, limit=10)
    "'xxxxxx..."
    """
    if type(value) is int and value.bit_length() > 3 * limit:
        # str() of such an int is slow, or refused past sys.get_int_max_str_digits()
        digits = math.floor(value.bit_length() * math.log10(2)) + 1  # or one more than it has
        if digits > 10_000:
            return f"<int of about {digits} digits>"
        digits -= abs(value) < 10 ** (digits - 1)
        return f"<int of {digits} digits>"
    if type(value) is str:
        value = value[:limit]  # repr() escapes controls and surrogates
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."


@frozen
class ValidationIssue:
    """One problem with an input: where (``path``, in wire names), what (``code``), and why.

    ``path`` is ``""`` for the input as a whole, else a dotted/indexed path such as ``name``.

    .. versionadded:: 0.1.0
    """

    path: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


class SyncSdkError(Exception):
    """Base of every error sync_sdk raises on purpose.

    .. versionadded:: 0.1.0
    """

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    @property
    def detail(self) -> str:
        return str(self.args[0]) if self.args else self.title

    def to_problem(self) -> dict[str, Any]:
        """The error as a problem-details dict (RFC 9457 shape, ContractSpec's fields).

        >>> Conflict("idempotency key reused").to_problem()["code"]
        'CONFLICT'
        """
        return {
            "type": f"urn:sync-sdk:problem:{self.code.lower().replace('_', '-')}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "issues": [],
        }


class ValidationError(SyncSdkError, ValueError):
    """The input breaks the contract's schema; ``.issues`` names every problem and its path.

    ``str()`` (and the problem's ``detail``) shows the first 20 issues and how many more there
    are; ``.issues`` and ``to_problem()["issues"]`` hold every one.

    >>> err = ValidationError([ValidationIssue("name", "blank", "must not be blank")])
    >>> err.issues[0].path
    'name'
    """

    code = "VALIDATION_FAILED"
    status = 422
    title = "Validation failed"

    def __init__(self, issues: Iterable[ValidationIssue]) -> None:
        self.issues: tuple[ValidationIssue, ...] = tuple(issues)
        super().__init__(self.issues)

    def __str__(self) -> str:  # built on demand: rejecting input stays cheap
        shown = self.issues[:SHOWN_ISSUES]
        lines = "; ".join(f"{i.path or '<input>'}: {i.message} [{i.code}]" for i in shown)
        more = len(self.issues) - len(shown)
        tail = f"; ... and {more} more (all of them in .issues)" if more else ""
        return f"{len(self.issues)} validation issue(s): {lines}{tail}"

    def __repr__(self) -> str:  # bounded as str() is (tracebacks and loggers may repr it)
        return f"{type(self).__name__}({str(self)!r})"

    @property
    def detail(self) -> str:
        return str(self)

    def to_problem(self) -> dict[str, Any]:
        problem = super().to_problem()
        problem["issues"] = [issue.to_dict() for issue in self.issues]
        return problem


class AuthenticationRequired(SyncSdkError):
    """The operation's policy needs an authenticated actor, and there is none."""

    code = "UNAUTHENTICATED"
    status = 401
    title = "Authentication required"


class PermissionDenied(SyncSdkError, PermissionError):
    """The actor is authenticated but the policy (for instance ``auth: admin``) refuses it."""

    code = "FORBIDDEN"
    status = 403
    title = "Forbidden"


class NotFound(SyncSdkError, LookupError):
    """No such object for this actor (another org's object is reported the same way)."""

    code = "NOT_FOUND"
    status = 404
    title = "Not found"

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return self.detail


class Conflict(SyncSdkError):
    """The request conflicts with stored state (an idempotency key reused with other input)."""

    code = "CONFLICT"
    status = 409
    title = "Conflict"


class EventNotDeclared(SyncSdkError, ValueError):
    """An event the contract does not declare in ``sideEffects.emits``, or a wrong payload."""

    code = "EVENT_NOT_DECLARED"
    status = 500
    title = "Event not declared by the contract"


class StorageError(SyncSdkError):
    """The storage backend failed; the driver's exception is chained as ``__cause__``."""

    code = "STORAGE_ERROR"
    status = 503
    title = "Storage unavailable"


class ConfigurationError(SyncSdkError, ValueError):
    """The SDK is set up wrongly: an unknown storage URL or URL option, a bad option value, an
    ``id_factory`` that breaks its contract. A fault of the program, not of its input.

    >>> from sync_sdk.storage import open_storage
    >>> open_storage("mysql://db")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sync_sdk.errors.ConfigurationError: unknown storage URL 'mysql://db': ...

    .. versionadded:: 0.1.0
    """

    code = "CONFIGURATION_ERROR"
    status = 500
    title = "Configuration error"


class ConfigurationTypeError(ConfigurationError, TypeError):
    """A setting of the wrong type (``SyncHub(123)``, a non-callable ``clock``); also a
    ``TypeError``, as Python raises for wrong argument types.

    .. versionadded:: 0.1.0
    """
