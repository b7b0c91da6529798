"""A process creating configs is killed with SIGKILL at random moments: nothing is half-written.

Every config that ``create_sync_config`` returned is there afterwards with its audit record and
its outbox event, no audit record or event exists without its config, the SQLite file passes
``PRAGMA integrity_check``, and the events whose delivery a kill cut short go out on
``redeliver_pending()``.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync_sdk import SyncHub

from ..conftest import VALID_INPUT, counts, storage_url
from .child import USER
from .conftest import spawn, wait_for

pytestmark = pytest.mark.reliability

KILLS = 24

# Each must count 0 rows: the same SQL on SQLite and PostgreSQL.
BROKEN = {
    "config without audit record": "SELECT count(*) FROM sync_configs c WHERE NOT EXISTS"
    " (SELECT 1 FROM audit_records a WHERE a.subject_id = c.id)",
    "config without outbox event": "SELECT count(*) FROM sync_configs c WHERE NOT EXISTS"
    " (SELECT 1 FROM outbox_events o WHERE o.subject_id = c.id)",
    "audit record without config": "SELECT count(*) FROM audit_records a WHERE NOT EXISTS"
    " (SELECT 1 FROM sync_configs c WHERE c.id = a.subject_id)",
    "outbox event without config": "SELECT count(*) FROM outbox_events o WHERE NOT EXISTS"
    " (SELECT 1 FROM sync_configs c WHERE c.id = o.subject_id)",
    "audit record naming another event": "SELECT count(*) FROM audit_records a"
    " JOIN outbox_events o ON o.subject_id = a.subject_id WHERE a.event_id <> o.id",
}


def sql_counts(backend: str, url: str) -> tuple[dict[str, int], list[str]]:
    """The :data:`BROKEN` counts, and every config id stored (read with the driver itself)."""
    conn: Any
    if backend == "postgres":
        import psycopg

        conn = psycopg.connect(url)
    else:
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # the table of pending events has no foreign key (it would cost 4% of a batch)
        orphans = "SELECT count(*) FROM outbox_pending p WHERE NOT EXISTS"
        orphans += " (SELECT 1 FROM outbox_events o WHERE o.id = p.event_id)"
        assert conn.execute(orphans).fetchone()[0] == 0
    try:
        broken = {what: conn.execute(sql).fetchone()[0] for what, sql in BROKEN.items()}
        ids = [row[0] for row in conn.execute("SELECT id FROM sync_configs").fetchall()]
    finally:
        conn.close()
    return broken, ids


@pytest.mark.parametrize("backend", ["sqlite-file", "postgres"])
def test_sigkill_mid_create_loses_and_tears_nothing(
    backend: str, tmp_path: Path, report: Callable[[str], None]
) -> None:
    url = storage_url(backend, tmp_path)
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    returned: list[str] = []  # ids whose create_sync_config returned before the kill
    for kill in range(KILLS):
        out = tmp_path / f"ids-{kill}.txt"
        out.touch()
        proc = spawn("create-loop", url, str(out))

        def started(out: Path = out, proc: Any = proc) -> bool:
            return out.stat().st_size > 0 or proc.poll() is not None

        # kill only once the loop runs (a kill during imports proves nothing), then at a
        # random moment of it: mid-statement, mid-commit or mid-delivery
        wait_for(started, "a first create")
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        returned += out.read_text().split()

    broken, stored = sql_counts(backend, url)
    assert broken == dict.fromkeys(BROKEN, 0), f"seed {seed}"
    assert set(returned) <= set(stored), f"seed {seed}: a config create returned is missing"
    with SyncHub(url) as hub:
        assert counts(hub) == (len(stored),) * 3
        with hub.storage.unit_of_work(write=False) as uow:
            undelivered = uow.outbox.count(pending_only=True)
        assert hub.redeliver_pending() == undelivered  # cut-short deliveries go out now
        hub.create_sync_config(VALID_INPUT, actor=USER)  # and the store takes new writes
        hub.flush()
        with hub.storage.unit_of_work(write=False) as uow:
            assert uow.outbox.count(pending_only=True) == 0
    report(
        f"{KILLS} SIGKILLs (seed {seed}) -> {len(stored)} configs stored, {len(returned)}"
        f" returned to the caller before a kill, 0 torn; {undelivered} events redelivered"
    )
