"""Credentials encrypted at rest: round trips, rotation, wrong keys, and no secret in any error."""

from __future__ import annotations

import base64
import copy
import doctest
import json
import math
import pickle
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet, MultiFernet
from hypothesis import given
from hypothesis import strategies as st

import sync_sdk.credentials
from sync_sdk.credentials import (
    CredentialCipher,
    CredentialsUnreadable,
    SecretKeyInvalid,
    SecretKeyRequired,
    credential_issues,
)
from sync_sdk.errors import SyncSdkError, ValidationError

KEY = Fernet.generate_key()
OTHER_KEY = Fernet.generate_key()
SECRET = "s3cret-pa55-\u00e9\u4e2d"
CREDENTIALS: dict[str, Any] = {
    "clientId": "crm-app",
    "clientSecret": SECRET,
    "scopes": ["read", "write"],
    "oauth": {"refreshToken": "rt-77", "expiresIn": 3600, "sandbox": False, "tenant": None},
}


def test_docstring_examples() -> None:
    result = doctest.testmod(sync_sdk.credentials, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0


# ---------------------------------------------------------------- round trip and storage form


def test_round_trip() -> None:
    cipher = CredentialCipher(KEY)
    token = cipher.encrypt(CREDENTIALS)
    assert isinstance(token, str)
    assert token.isascii()
    assert cipher.decrypt(token) == CREDENTIALS
    assert CredentialCipher(KEY.decode()).decrypt(token) == CREDENTIALS  # str or bytes key


def test_token_holds_compact_sorted_json() -> None:
    token = CredentialCipher(KEY).encrypt({"b": [1, 2], "a": {"y": 1, "x": "é"}})
    assert Fernet(KEY).decrypt(token).decode() == '{"a":{"x":"é","y":1},"b":[1,2]}'


def test_tuples_come_back_as_lists() -> None:
    cipher = CredentialCipher(KEY)
    assert cipher.decrypt(cipher.encrypt({"scopes": ("read",)})) == {"scopes": ["read"]}


def _encodings(data: bytes) -> Iterator[bytes]:
    """``data`` and its base64 forms at each alignment, as they could appear inside a token."""
    yield data
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\x00" * offset + data)
            # only the characters whose 6 bits all come from ``data``, whatever surrounds it
            yield encoded[-(-8 * offset // 6) : 8 * (offset + len(data)) // 6]


def test_token_does_not_contain_the_clear_text() -> None:
    token = CredentialCipher(KEY).encrypt(CREDENTIALS).encode()
    plaintext = json.dumps(CREDENTIALS, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for clear in (SECRET.encode(), plaintext.encode(), b"clientSecret", b"rt-77"):
        for form in _encodings(clear):
            assert len(form) >= 4
            assert form not in token
    assert SECRET.encode().hex().encode() not in token


def test_each_encryption_differs() -> None:
    cipher = CredentialCipher(KEY)
    assert cipher.encrypt(CREDENTIALS) != cipher.encrypt(CREDENTIALS)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5))
def test_any_json_object_round_trips(credentials: dict[str, Any]) -> None:
    cipher = CredentialCipher(KEY)
    assert cipher.decrypt(cipher.encrypt(credentials)) == credentials


# ---------------------------------------------------------------- keys and rotation


def test_rotation_keeps_old_tokens_readable_until_rotated() -> None:
    old_token = CredentialCipher(OTHER_KEY).encrypt(CREDENTIALS)
    rotating = CredentialCipher([KEY, OTHER_KEY])
    assert rotating.key_count == 2
    assert rotating.decrypt(old_token) == CREDENTIALS
    with pytest.raises(CredentialsUnreadable):
        CredentialCipher(KEY).decrypt(old_token)

    new_token = rotating.rotate(old_token)
    assert new_token != old_token
    assert CredentialCipher(KEY).decrypt(new_token) == CREDENTIALS
    with pytest.raises(CredentialsUnreadable):
        CredentialCipher(OTHER_KEY).decrypt(new_token)
    # a new token is made with the first key
    assert CredentialCipher(KEY).decrypt(rotating.encrypt(CREDENTIALS)) == CREDENTIALS


@pytest.mark.parametrize(
    "keys",
    [
        f"{KEY.decode()},{OTHER_KEY.decode()}",
        f" {KEY.decode()} , {OTHER_KEY.decode()}\n",
        KEY + b"," + OTHER_KEY,
        (KEY, OTHER_KEY.decode()),
        iter([KEY, OTHER_KEY]),
    ],
    ids=["str", "spaces", "bytes", "tuple", "iterator"],
)
def test_several_keys_in_each_form(keys: Any) -> None:
    cipher = CredentialCipher(keys)
    assert cipher.key_count == 2
    assert Fernet(KEY).decrypt(cipher.encrypt({"a": 1})) == b'{"a":1}'
    assert cipher.decrypt(CredentialCipher(OTHER_KEY).encrypt({"a": 2})) == {"a": 2}


def test_from_env() -> None:
    assert CredentialCipher.from_env({}) is None
    assert CredentialCipher.from_env({"SYNC_SDK_SECRET_KEY": "  "}) is None
    single = CredentialCipher.from_env({"SYNC_SDK_SECRET_KEY": KEY.decode()})
    assert single is not None and single.key_count == 1
    rotating = CredentialCipher.from_env(
        {"SYNC_SDK_SECRET_KEY": f"{KEY.decode()}, {OTHER_KEY.decode()}"}
    )
    assert rotating is not None
    assert rotating.decrypt(CredentialCipher(OTHER_KEY).encrypt({"a": 1})) == {"a": 1}


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNC_SDK_SECRET_KEY", KEY.decode())
    cipher = CredentialCipher.from_env()
    assert cipher is not None
    assert Fernet(KEY).decrypt(cipher.encrypt({})) == b"{}"
    monkeypatch.delenv("SYNC_SDK_SECRET_KEY")
    assert CredentialCipher.from_env() is None


GENERATE_HINT = "generate one with: python -c"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("correct horse battery staple", "secret key: the key is not a valid Fernet key"),
        (KEY[:-4], "secret key: the key is not a valid Fernet key"),
        (base64.urlsafe_b64encode(b"x" * 31), "secret key: the key is not a valid Fernet key"),
        ("é" * 44, "secret key: the key is not a valid Fernet key"),
        ("", "secret key: the key is empty"),
        ([], "secret key: no key given"),
        ([KEY, "nope"], "secret key: key 2 of 2 is not a valid Fernet key"),
        ([KEY, 12], "secret key: key 2 of 2 is of type int, not str or bytes"),
        (f"{KEY.decode()},,{OTHER_KEY.decode()}", "secret key: key 2 of 3 is empty"),
        (None, "secret key: must be a str or bytes key, or a list of them for key rotation"),
    ],
    ids=["passphrase", "short", "31-bytes", "non-ascii", "empty", "none", "second", "int",
         "double-comma", "null"],
)  # fmt: skip
def test_invalid_key(keys: Any, message: str) -> None:
    with pytest.raises(SecretKeyInvalid) as raised:
        CredentialCipher(keys)
    assert str(raised.value).startswith(message)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, SyncSdkError)
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    if "not a valid Fernet key" in message:
        assert GENERATE_HINT in str(raised.value)


def test_invalid_key_from_env_names_the_variable() -> None:
    with pytest.raises(SecretKeyInvalid) as raised:
        CredentialCipher.from_env({"SYNC_SDK_SECRET_KEY": f"{KEY.decode()},not-a-key"})
    assert str(raised.value).startswith(
        "$SYNC_SDK_SECRET_KEY: key 2 of 2 is not a valid Fernet key"
    )
    assert KEY.decode() not in str(raised.value)


def test_missing_key_error_tells_the_application_what_to_do() -> None:
    err = SecretKeyRequired()
    assert "secret_key=" in str(err)
    assert "$SYNC_SDK_SECRET_KEY" in str(err)
    assert err.to_problem()["code"] == "SECRET_KEY_REQUIRED"
    assert isinstance(err, SyncSdkError)


# ---------------------------------------------------------------- tokens that do not open


def _flip(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


TOKEN = CredentialCipher(KEY).encrypt(CREDENTIALS)
UNREADABLE = {
    "wrong key": (OTHER_KEY, TOKEN),
    "flipped in the middle": (KEY, _flip(TOKEN, len(TOKEN) // 2)),
    "flipped in the tag": (KEY, _flip(TOKEN, len(TOKEN) - 10)),
    "truncated": (KEY, TOKEN[:-20]),
    "empty": (KEY, ""),
    "not base64": (KEY, "not a token at all!"),
    "non-ascii": (KEY, TOKEN[:-1] + "é"),
    "not text": (KEY, 12345),
}


@pytest.mark.parametrize(("key", "token"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_token(key: bytes, token: Any) -> None:
    cipher = CredentialCipher(key)
    for attempt in (cipher.decrypt, cipher.rotate):
        with pytest.raises(CredentialsUnreadable) as raised:
            attempt(token)
        message = str(raised.value)
        assert message.startswith(
            "the stored credentials cannot be decrypted with the configured key: either another "
            "key encrypted them"
        )
        assert "or the token was altered or truncated" in message
        assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_unreadable_with_several_keys_says_how_many() -> None:
    with pytest.raises(CredentialsUnreadable, match="with any of the 2 configured keys"):
        CredentialCipher([OTHER_KEY, Fernet.generate_key()]).decrypt(TOKEN)


@pytest.mark.parametrize(
    "plaintext",
    [SECRET.encode(), b"\xff" + SECRET.encode(), json.dumps([SECRET]).encode()],
    ids=["not-json", "not-utf8", "not-an-object"],
)
def test_token_of_something_else_is_unreadable(plaintext: bytes) -> None:
    token = Fernet(KEY).encrypt(plaintext).decode()
    with pytest.raises(CredentialsUnreadable, match="decrypt, but not to a JSON object") as raised:
        CredentialCipher(KEY).decrypt(token)
    assert raised.value.__cause__ is None and raised.value.__context__ is None


# ---------------------------------------------------------------- non-JSON credentials


@pytest.mark.parametrize(
    ("credentials", "issues"),
    [
        ({"scopes": {"read"}}, [("credentials.scopes", "invalid_type")]),
        ({"ttl": math.nan, "max": -math.inf}, [("credentials.ttl", "invalid_number"),
                                               ("credentials.max", "invalid_number")]),
        ({"password": "\ud800" + SECRET}, [("credentials.password", "invalid_characters")]),
        ({"\udfffkey": "x"}, [("credentials.\\udfffkey", "invalid_characters")]),
        ({"a": [1, b"raw"]}, [("credentials.a[1]", "invalid_type")]),
        ({1: "x"}, [("credentials", "invalid_type")]),
        ({"n": 10**4001}, [("credentials.n", "invalid_number")]),
        ({"d": json.loads("[" * 40 + "]" * 40)},
         [("credentials.d" + "[0]" * 31, "too_deep")]),
        ([SECRET], [("credentials", "invalid_type")]),
        (SECRET, [("credentials", "invalid_type")]),
        (None, [("credentials", "invalid_type")]),
    ],
    ids=["set", "nan", "surrogate", "surrogate-key", "bytes", "int-key", "huge-int", "deep",
         "list", "str", "none"],
)  # fmt: skip
def test_non_json_credentials_are_refused_before_encryption(
    credentials: Any, issues: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> bytes:
        raise AssertionError("encrypted non-JSON credentials")

    monkeypatch.setattr(MultiFernet, "encrypt", never)
    monkeypatch.setattr(Fernet, "encrypt", never)
    with pytest.raises(ValidationError) as raised:
        CredentialCipher(KEY).encrypt(credentials)
    assert [(issue.path, issue.code) for issue in raised.value.issues] == issues
    assert credential_issues(credentials) == list(raised.value.issues)
    assert SECRET not in str(raised.value)


def test_self_referencing_credentials_are_refused() -> None:
    looping: dict[str, Any] = {}
    looping["self"] = looping
    with pytest.raises(ValidationError) as raised:
        CredentialCipher(KEY).encrypt(looping)
    assert [issue.code for issue in raised.value.issues] == ["too_deep"]


# ---------------------------------------------------------------- nothing leaks


@pytest.mark.parametrize(
    "keys",
    [KEY, KEY.decode(), [KEY, OTHER_KEY], f"{KEY.decode()},{OTHER_KEY.decode()}"],
    ids=["bytes", "str", "list", "comma-separated"],
)
def test_cipher_shows_no_key(keys: Any) -> None:
    cipher = CredentialCipher(keys)
    shown = repr(cipher) + str(cipher) + repr([cipher]) + repr(vars(type(cipher)))
    for key in (KEY, OTHER_KEY):
        assert key.decode() not in shown
        assert base64.urlsafe_b64decode(key).hex() not in shown
    assert repr(cipher) in ("CredentialCipher(<1 key>)", "CredentialCipher(<2 keys>)")
    assert not hasattr(cipher, "__dict__")


def test_cipher_cannot_be_pickled_and_copies_are_itself() -> None:
    cipher = CredentialCipher([KEY, OTHER_KEY])
    with pytest.raises(TypeError, match="cannot be pickled") as raised:
        pickle.dumps(cipher)
    assert KEY.decode() not in str(raised.value)
    assert copy.copy(cipher) is cipher
    assert copy.deepcopy({"cipher": cipher})["cipher"] is cipher


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = err
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _failures() -> Iterator[tuple[str, Callable[[], object]]]:
    cipher, token = CredentialCipher([KEY]), TOKEN
    yield "wrong key", lambda: CredentialCipher(OTHER_KEY).decrypt(token)
    yield "tampered", lambda: cipher.decrypt(_flip(token, 40))
    yield "rotate wrong key", lambda: CredentialCipher(OTHER_KEY).rotate(token)
    yield "non-ascii token", lambda: cipher.decrypt(token + SECRET)
    yield "plain secret", lambda: cipher.decrypt(Fernet(KEY).encrypt(SECRET.encode()).decode())
    yield (
        "not utf-8",
        lambda: cipher.decrypt(Fernet(KEY).encrypt(b"\xff" + SECRET.encode()).decode()),
    )
    yield "bad second key", lambda: CredentialCipher([KEY, KEY.decode()[:-2] + SECRET])
    yield "key as secret", lambda: CredentialCipher(SECRET)
    yield (
        "env",
        lambda: CredentialCipher.from_env({"SYNC_SDK_SECRET_KEY": f"{KEY.decode()},{SECRET}"}),
    )
    yield "surrogate", lambda: cipher.encrypt({"password": SECRET + "\ud800"})
    yield "nan", lambda: cipher.encrypt({"password": SECRET, "ttl": math.nan})


FAILURES = dict(_failures())


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_no_error_shows_a_key_a_token_or_a_credential(failure: Callable[[], object]) -> None:
    with pytest.raises(SyncSdkError) as raised:
        failure()
    err = raised.value
    shown = "".join(traceback.format_exception(err)) + str(err.to_problem())
    for link in _chain(err):
        shown += repr(link) + str(link) + repr(link.args)
    for secret in (KEY.decode(), KEY.decode()[:-2], SECRET, SECRET[:11], "rt-77", TOKEN[10:40]):
        assert secret not in shown
    assert err.__cause__ is None and err.__context__ is None
