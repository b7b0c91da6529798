"""Hostile strings in every free-text field round-trip byte for byte, through the hub.

SQL that would do harm if it were spliced into a statement, Unicode that a careless layer
would normalise, re-encode or cut (astral plane, combining marks, right-to-left text), and
strings of the maximal length: each goes in as a config's fields, the actor's ids and the
idempotency key, and comes back identical from create, get, list, the audit log, the event,
the outbox and an idempotent retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sync_sdk import Actor, SyncConfig, SyncHub, signals
from sync_sdk.events import EventEnvelope
from sync_sdk.validation import MAX_STRING_LENGTH

from ..conftest import BACKENDS, counts, storage_url

pytestmark = pytest.mark.reliability

HOSTILE = [
    "'; DROP TABLE sync_configs; --",
    "Robert'); DELETE FROM audit_records WHERE ('1'='1",
    '" OR ""="; UPDATE outbox_events SET delivered_at = NULL; --',
    "*/ UNION SELECT * FROM sync_sdk_migrations /*",
    "1; SELECT pg_sleep(30); -- $1 $$ $tag$ %s %(name)s ? ?1 :name {0}",
    "\\x00 \\' \\\\ E'\\n' \\u0000",
    "e\u0301 \u00e9 \u212b \u00c5 \u0041\u030a",  # decomposed vs precomposed: must stay apart
    "\u05e9\u05dc\u05d5\u05dd \u202eevil\u202c \u0645\u0631\u062d\u0628\u0627 \u200f",  # RTL
    "\U0001f600 \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001d518\U0001d52b \U0010fffd",
    "\ufeffBOM \u200bzero-width \u00a0nbsp \u2028line-separator \ufffd",
    # (control characters are refused, not stored: see tests/test_hardening_input.py)
    "x" * MAX_STRING_LENGTH,
    "\U0001f600" * MAX_STRING_LENGTH,  # 1024 characters, 4096 bytes of UTF-8
    "e\u0301" * (MAX_STRING_LENGTH // 2),
    "'" * (MAX_STRING_LENGTH - 1) + "\U0010ffff",
]
TEXT_FIELDS = ("integrationId", "connectionId", "name", "sourceObject", "targetObject")


def same_bytes(got: str, expected: str) -> bool:
    return got.encode("utf-8") == expected.encode("utf-8")


def check_config(config: SyncConfig, text: str) -> None:
    wire = config.to_dict()
    for field in TEXT_FIELDS:
        assert same_bytes(wire[field], text), field


@pytest.mark.parametrize("backend", BACKENDS)
def test_hostile_strings_round_trip_byte_for_byte(
    backend: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    url = storage_url(backend, tmp_path)
    received: list[EventEnvelope] = []
    created: list[tuple[str, SyncConfig]] = []
    with SyncHub(url) as hub:
        with signals.sync_config_created.connected_to(
            lambda sender, event: received.append(event), sender=hub
        ):
            for n, text in enumerate(HOSTILE):
                actor = Actor(id=text, org_id=text)
                data = dict.fromkeys(TEXT_FIELDS, text) | {"direction": "INBOUND"}
                config = hub.create_sync_config(data, actor=actor, idempotency_key=text)
                check_config(config, text)
                assert hub.get_sync_config(config.id, actor=actor) == config
                (listed,) = hub.list_sync_configs(actor=actor).items
                check_config(listed, text)
                (record,) = hub.audit_log(actor=actor)
                assert same_bytes(record.actor_id, text) and same_bytes(record.org_id, text)
                event = received[n]
                check_config(event.payload, text)
                assert same_bytes(event.actor_id, text) and same_bytes(event.org_id, text)
                again = hub.create_sync_config(data, actor=actor, idempotency_key=text)
                assert again == config  # the hostile key found its config
                created.append((text, config))
        assert counts(hub) == (len(HOSTILE),) * 3  # no statement was hijacked
        with hub.storage.unit_of_work(write=False) as uow:
            stored = {e.subject_id: e for e in uow.outbox.list()}
        for text, config in created:
            check_config(SyncConfig.from_dict(json.loads(stored[config.id].payload_json)), text)
            assert same_bytes(stored[config.id].org_id, text)
    if backend in ("sqlite-file", "postgres"):  # read back by a new hub, from the store itself
        with SyncHub(url) as hub:
            for text, config in created:
                fresh = hub.get_sync_config(config.id, actor=Actor(id=text, org_id=text))
                check_config(fresh, text)
    assert len(received) == len(HOSTILE)
    longest = max(len(t.encode()) for t in HOSTILE)
    report(
        f"{len(HOSTILE)} hostile strings x {len(TEXT_FIELDS)} fields + actor ids + key ->"
        f" {len(HOSTILE)} configs, {len(received)} events, identical (up to {longest} bytes)"
    )
