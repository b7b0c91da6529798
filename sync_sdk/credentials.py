"""Connection credentials, encrypted at rest with a key the application supplies.

ContractSpec's ``integration.connection.create`` takes ``credentials`` (any JSON) and leaves their
keeping to the implementation. Here they are encrypted with Fernet (AES-128-CBC with an
HMAC-SHA256 tag, from the ``cryptography`` package) before anything stores them, and the key never
leaves the application::

    >>> from cryptography.fernet import Fernet
    >>> cipher = CredentialCipher(Fernet.generate_key())
    >>> token = cipher.encrypt({"clientId": "abc", "clientSecret": "s3cret"})
    >>> "s3cret" in token
    False
    >>> cipher.decrypt(token)
    {'clientId': 'abc', 'clientSecret': 's3cret'}
    >>> cipher
    CredentialCipher(<1 key>)

Several keys rotate: the first encrypts, any decrypts, and :meth:`CredentialCipher.rotate`
re-encrypts a token with the first. ``$SYNC_SDK_SECRET_KEY`` holds them comma-separated, newest
first; drop an old key only once every stored token has been rotated.

A token is Fernet's: it reveals the time it was made and, roughly, the length of the credentials,
nothing else. No message of these errors holds a key, a token or a credential, and none chains an
exception that does::

    SyncSdkError
    ├── SecretKeyInvalid (ValueError)   SECRET_KEY_INVALID      500  not a Fernet key
    ├── SecretKeyRequired               SECRET_KEY_REQUIRED     500  credentials, but no key
    └── CredentialsUnreadable           CREDENTIALS_UNREADABLE  500  wrong key, or altered token

Credentials that are not JSON raise :class:`~sync_sdk.errors.ValidationError` naming each value's
path (``credentials.scopes[1]``) before anything is encrypted.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, NoReturn

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sync_sdk.errors import SyncSdkError, ValidationError, ValidationIssue
from sync_sdk.validation import json_issues

__all__ = [
    "SECRET_KEY_VARIABLE",
    "CredentialCipher",
    "CredentialsUnreadable",
    "SecretKeyInvalid",
    "SecretKeyRequired",
    "credential_issues",
]

SECRET_KEY_VARIABLE = "SYNC_SDK_SECRET_KEY"
_GENERATE = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class SecretKeyInvalid(SyncSdkError, ValueError):
    """A secret key that is not a Fernet key (32 url-safe base64-encoded bytes).

    >>> CredentialCipher("correct horse battery staple")
    Traceback (most recent call last):
    ...
    sync_sdk.credentials.SecretKeyInvalid: secret key: the key is not a valid Fernet key ...

    .. versionadded:: 0.2.0
    """

    code: ClassVar[str] = "SECRET_KEY_INVALID"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Invalid secret key"


class SecretKeyRequired(SyncSdkError):
    """Credentials were given, but no secret key is configured to encrypt them.

    >>> print(SecretKeyRequired())
    credentials need a secret key to be encrypted at rest, and none is configured: pass ...

    .. versionadded:: 0.2.0
    """

    code: ClassVar[str] = "SECRET_KEY_REQUIRED"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Secret key required"

    def __init__(
        self,
        message: str = (
            "credentials need a secret key to be encrypted at rest, and none is configured: "
            f"pass secret_key= (a Fernet key) or set ${SECRET_KEY_VARIABLE}; generate a key with: "
            f"{_GENERATE}"
        ),
    ) -> None:
        super().__init__(message)


class CredentialsUnreadable(SyncSdkError):
    """Stored credentials that no configured key decrypts: another key made them, or the token was
    altered. The message says which keys were tried (by count) and never shows the token.

    .. versionadded:: 0.2.0
    """

    code: ClassVar[str] = "CREDENTIALS_UNREADABLE"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Credentials unreadable"


# ---------------------------------------------------------------- what credentials may hold


def credential_issues(credentials: object, path: str = "credentials") -> list[ValidationIssue]:
    """Every reason ``credentials`` is not a JSON object that can be encrypted, with its path.

    Messages name the kind of a bad value, never the value. Tuples are accepted and come back from
    :meth:`CredentialCipher.decrypt` as lists.

    >>> credential_issues({"clientId": "abc", "scopes": ["read"]})
    []
    >>> [(i.path, i.code) for i in credential_issues({"scopes": {"read"}, "ttl": float("nan")})]
    [('credentials.scopes', 'invalid_type'), ('credentials.ttl', 'invalid_number')]

    .. versionadded:: 0.2.0
    """
    if not isinstance(credentials, dict):
        kind = "null" if credentials is None else type(credentials).__name__
        return [
            ValidationIssue(path, "invalid_type", f"must be a JSON object (a dict), not {kind}")
        ]
    return json_issues(credentials, path)


# ---------------------------------------------------------------- the cipher


def _refuse(origin: str, problem: str) -> NoReturn:
    raise SecretKeyInvalid(f"{origin}: {problem}")


def _fernets(keys: object, origin: str) -> tuple[list[Fernet], bytes]:
    """The Fernets of ``keys``, and a key for fingerprints derived from the first one."""
    items: list[object]
    if isinstance(keys, str):
        items = list(keys.split(","))
    elif isinstance(keys, bytes):
        items = list(keys.split(b","))
    elif isinstance(keys, Iterable):
        items = list(keys)
    else:
        _refuse(
            origin,
            "must be a str or bytes key, or a list of them for key rotation, not of type "
            f"{type(keys).__name__}",
        )
    if not items:
        _refuse(origin, "no key given")
    fernets: list[Fernet] = []
    for number, item in enumerate(items, 1):
        which = "the key" if len(items) == 1 else f"key {number} of {len(items)}"
        if not isinstance(item, str | bytes):
            _refuse(origin, f"{which} is of type {type(item).__name__}, not str or bytes")
        stripped = item.strip()
        if not stripped:
            _refuse(origin, f"{which} is empty")
        # Fernet's own error chains base64's; ours is raised outside the handler: no chain at all
        try:
            fernet: Fernet | None = Fernet(stripped)
        except (ValueError, TypeError):
            fernet = None
        if fernet is None:
            _refuse(
                origin,
                f"{which} is not a valid Fernet key (32 url-safe base64-encoded bytes, as "
                f"Fernet.generate_key() makes them); generate one with: {_GENERATE}",
            )
        fernets.append(fernet)
        if number == 1:
            raw = stripped if isinstance(stripped, bytes) else stripped.encode("ascii")
            first = hmac.new(raw, b"sync_sdk credential fingerprint", hashlib.sha256).digest()
    return fernets, first


class CredentialCipher:
    """Encrypts credentials for storage and decrypts them, with one key or several (rotation).

    ``keys`` is a Fernet key (str or bytes, as ``Fernet.generate_key()`` makes them), several of
    them comma-separated, or a list of them; the first encrypts, any decrypts. Neither ``repr()``
    nor pickling shows a key.

    >>> from cryptography.fernet import Fernet
    >>> old, new = Fernet.generate_key(), Fernet.generate_key()
    >>> token = CredentialCipher(old).encrypt({"apiKey": "k-123"})
    >>> rotating = CredentialCipher([new, old])
    >>> rotating.decrypt(token)
    {'apiKey': 'k-123'}
    >>> CredentialCipher(new).decrypt(rotating.rotate(token))
    {'apiKey': 'k-123'}
    >>> rotating
    CredentialCipher(<2 keys>)

    .. versionadded:: 0.2.0
    """

    __slots__ = ("_fernet", "_fingerprint_key", "_key_count")

    def __init__(self, keys: str | bytes | Iterable[str | bytes]) -> None:
        self._use(*_fernets(keys, "secret key"))

    def _use(self, fernets: list[Fernet], fingerprint_key: bytes) -> None:
        self._fernet = MultiFernet(fernets)
        self._key_count = len(fernets)
        self._fingerprint_key = fingerprint_key

    def fingerprint(self, credentials: object) -> str:
        """A keyed digest of ``credentials`` (HMAC-SHA256 under a key derived from the first
        secret key): equal credentials give equal fingerprints, and without the key nothing can
        be learnt from one, not even by trying likely secrets. Idempotency keys compare
        requests with it, so that no plain hash of a secret is stored.

        >>> from cryptography.fernet import Fernet
        >>> cipher = CredentialCipher(Fernet.generate_key())
        >>> cipher.fingerprint({"a": 1}) == cipher.fingerprint({"a": 1})
        True
        """
        text = json.dumps(credentials, sort_keys=True, separators=(",", ":"), default=repr)
        return hmac.new(self._fingerprint_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> CredentialCipher | None:
        """The cipher of ``$SYNC_SDK_SECRET_KEY`` (comma-separated keys, newest first), or None
        when it is unset or blank.

        >>> CredentialCipher.from_env({}) is None
        True
        >>> CredentialCipher.from_env({"SYNC_SDK_SECRET_KEY": "not-a-key"})
        Traceback (most recent call last):
        ...
        sync_sdk.credentials.SecretKeyInvalid: $SYNC_SDK_SECRET_KEY: the key is not a valid ...
        """
        value = environ.get(SECRET_KEY_VARIABLE, "")
        if not value.strip():
            return None
        cipher = cls.__new__(cls)
        cipher._use(*_fernets(value, f"${SECRET_KEY_VARIABLE}"))  # the variable named in errors
        return cipher

    @property
    def key_count(self) -> int:
        """How many keys decrypt (the first one also encrypts).

        >>> from cryptography.fernet import Fernet
        >>> CredentialCipher([Fernet.generate_key(), Fernet.generate_key()]).key_count
        2
        """
        return self._key_count

    def encrypt(self, credentials: Mapping[str, object]) -> str:
        """The credentials as a token: compact JSON with sorted keys, encrypted with the first key.

        Raises :class:`~sync_sdk.errors.ValidationError` (see :func:`credential_issues`) before
        encrypting anything when the credentials are not JSON.

        >>> from cryptography.fernet import Fernet
        >>> CredentialCipher(Fernet.generate_key()).encrypt({"apiKey": "k-123"})[:6]
        'gAAAAA'
        """
        issues = credential_issues(credentials)
        if issues:
            raise ValidationError(issues)
        text = json.dumps(
            credentials, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any]:
        """The credentials a token holds; :class:`CredentialsUnreadable` when no key opens it.

        >>> from cryptography.fernet import Fernet
        >>> token = CredentialCipher(Fernet.generate_key()).encrypt({"apiKey": "k-123"})
        >>> CredentialCipher(Fernet.generate_key()).decrypt(token)
        Traceback (most recent call last):
        ...
        sync_sdk.credentials.CredentialsUnreadable: the stored credentials cannot be decrypted ...
        """
        plaintext = self._open(token)
        try:
            credentials = json.loads(plaintext.decode("utf-8"))
        except ValueError:  # not ours: UnicodeDecodeError and JSONDecodeError hold the plaintext
            credentials = None
        if not isinstance(credentials, dict):
            raise CredentialsUnreadable(
                "the stored credentials decrypt, but not to a JSON object: the token was not made "
                "by CredentialCipher.encrypt()"
            )
        return credentials

    def rotate(self, token: str) -> str:
        """The token re-encrypted with the first key, so the other keys can later be dropped."""
        rotated: bytes | None = None
        if self._readable(token):
            try:
                rotated = self._fernet.rotate(token)
            except InvalidToken:
                rotated = None
        if rotated is None:
            self._unreadable()
        return rotated.decode("ascii")

    def _readable(self, token: object) -> bool:
        # cryptography raises a plain ValueError (not InvalidToken) for a non-ASCII str token
        return isinstance(token, bytes) or (isinstance(token, str) and token.isascii())

    def _open(self, token: str) -> bytes:
        plaintext: bytes | None = None
        if self._readable(token):
            try:
                plaintext = self._fernet.decrypt(token)
            except InvalidToken:
                plaintext = None
        if plaintext is None:
            self._unreadable()
        return plaintext

    def _unreadable(self) -> NoReturn:
        # raised outside any handler: nothing (InvalidToken's context included) is chained
        keys = (
            "the configured key"
            if self._key_count == 1
            else (f"any of the {self._key_count} configured keys")
        )
        raise CredentialsUnreadable(
            f"the stored credentials cannot be decrypted with {keys}: either another key "
            "encrypted them (the secret key changed, or its old key was dropped before rotate() "
            f"re-encrypted every token: put it back in ${SECRET_KEY_VARIABLE} after the new one), "
            "or the token was altered or truncated"
        )

    def __repr__(self) -> str:
        return f"CredentialCipher(<{self._key_count} key{'s' if self._key_count != 1 else ''}>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a CredentialCipher cannot be pickled: that would write its keys out")

    def __copy__(self) -> CredentialCipher:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, object]) -> CredentialCipher:
        return self
