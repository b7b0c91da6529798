"""Child processes for the reliability tests: ``python -m tests.reliability.child COMMAND ...``.

``create-loop URL OUT``       create configs until killed, appending each committed id to OUT
``commit-then-die URL``       create one config, print its event id, SIGKILL itself in delivery
``create-n URL N ORG GO``     wait for the file GO, then create N configs in ORG
``redeliver URL OUT GO MINE THEIRS``
                              wait for GO, then run ``redeliver_pending`` until nothing is left,
                              appending "pid event-id" to OUT for each event received; on its
                              first event it touches MINE and waits for THEIRS, so that two such
                              processes are delivering at the same time
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from sync_sdk import Actor, SyncHub, signals
from sync_sdk.events import EventEnvelope

from ..conftest import VALID_INPUT as INPUT

USER = Actor(id="child-user", org_id="org-child")


def _wait_for(path: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"gave up waiting for {path}")
        time.sleep(0.005)


def create_loop(url: str, out: str) -> None:
    with SyncHub(url) as hub, open(out, "a", buffering=1) as ids:
        for i in range(10**9):
            cfg = hub.create_sync_config({**INPUT, "name": f"crash {i}"}, actor=USER)
            ids.write(cfg.id + "\n")  # line-buffered: in the file once create returned


def commit_then_die(url: str) -> None:
    hub = SyncHub(url)

    def die(sender: object, *, event: EventEnvelope) -> None:
        print(event.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    signals.sync_config_created.connect(die, sender=hub, weak=False)
    hub.create_sync_config(INPUT, actor=USER)
    sys.exit("still alive after SIGKILL")


def create_n(url: str, n: str, org: str, go: str) -> None:
    actor = Actor(id="user", org_id=org)
    _wait_for(go)
    with SyncHub(url) as hub:  # opened at the same moment as the other process's
        for i in range(int(n)):
            hub.create_sync_config({**INPUT, "name": f"{org} {i}"}, actor=actor)
    print("done", flush=True)


def redeliver(url: str, out: str, go: str, mine: str, theirs: str) -> None:
    hub = SyncHub(url)
    first = [True]

    def record(sender: object, *, event: EventEnvelope) -> None:
        if first[0]:
            first[0] = False
            Path(mine).touch()
            _wait_for(theirs)
        with open(out, "a") as f:
            f.write(f"{os.getpid()} {event.id}\n")

    signals.sync_config_created.connect(record, sender=hub, weak=False)
    print("ready", flush=True)
    _wait_for(go)
    total = 0
    while delivered := hub.redeliver_pending(limit=10):
        total += delivered
    hub.close()
    print(total, flush=True)


COMMANDS = {
    "create-loop": create_loop,
    "commit-then-die": commit_then_die,
    "create-n": create_n,
    "redeliver": redeliver,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
