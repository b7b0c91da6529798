"""Storage backends, chosen by URL (one module and one factory per backend).

=========================================  ============================================
URL                                        backend
=========================================  ============================================
``memory://``                              :class:`~sync_sdk.storage.memory.MemoryStorage`
``sqlite://``, ``sqlite:///:memory:``      private in-memory SQLite
``sqlite:///configs.db``                   SQLite file (``?synchronous=NORMAL`` allowed)
``postgresql://user:pw@host:5432/db``      PostgreSQL (install the ``postgres`` extra)
=========================================  ============================================

    >>> open_storage("memory://")
    MemoryStorage()

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlsplit

from sync_sdk.errors import ConfigurationError, ConfigurationTypeError
from sync_sdk.storage.base import (
    AuditRepository,
    ConfigRepository,
    IdempotencyKeyTaken,
    OutboxRepository,
    Storage,
    UnitOfWork,
)

__all__ = [
    "ENV_VAR",
    "AuditRepository",
    "ConfigRepository",
    "IdempotencyKeyTaken",
    "OutboxRepository",
    "Storage",
    "UnitOfWork",
    "open_storage",
    "redact_url",
]

#: Environment variable naming the storage of a hub created without one.
ENV_VAR = "SYNC_SDK_STORAGE_URL"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe for logs and error messages.

    >>> redact_url("postgresql://app:s3cret@127.0.0.1:5432/sync")
    'postgresql://app:***@127.0.0.1:5432/sync'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def open_storage(url: str) -> Storage:
    """The storage backend for ``url`` (see the table above).

    An unknown scheme or option, or a bad option value, raises
    :class:`~sync_sdk.errors.ConfigurationError` (a ``ValueError``); a ``url`` that is not a
    string, :class:`~sync_sdk.errors.ConfigurationTypeError`.
    """
    if not isinstance(url, str):
        raise ConfigurationTypeError(f"a storage URL must be a str, not {type(url).__name__}")
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme == "memory":
        from sync_sdk.storage.memory import MemoryStorage

        return MemoryStorage()
    if scheme == "sqlite":
        from sync_sdk.storage.sqlite import SqliteStorage

        path, _, query = rest.partition("?")
        # blank values kept: "?synchronous=" is a bad value, not the default
        pairs = parse_qsl(query, keep_blank_values=True)
        options = dict(pairs)
        path = path[1:] if path.startswith("/") else path
        unknown = set(options) - {"synchronous"}
        if unknown:
            raise ConfigurationError(
                f"unknown SQLite URL option(s): {', '.join(sorted(unknown))}"
                " (the one option is synchronous)"
            )
        if len(pairs) > len(options):
            raise ConfigurationError("a SQLite URL option is given more than once")
        return SqliteStorage(path or ":memory:", synchronous=options.get("synchronous", "FULL"))
    if scheme in ("postgresql", "postgres"):
        try:
            from sync_sdk.storage.postgres import PostgresStorage
        except ImportError as exc:
            raise ConfigurationError(
                "the PostgreSQL backend needs psycopg: install the `postgres` extra of sync_sdk"
            ) from exc
        return PostgresStorage(url)
    raise ConfigurationError(
        f"unknown storage URL {redact_url(url)!r}: use memory://, sqlite:///PATH or postgresql://"
    )


def default_storage_url() -> str:
    """``$SYNC_SDK_STORAGE_URL``, else a private in-memory SQLite database."""
    return os.environ.get(ENV_VAR) or "sqlite://"
