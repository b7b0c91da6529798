"""The docs cannot rot: their Python examples run, and what they promise about receivers holds.

Every ```python block of README.md and docs/*.md is marked on the line before it, either
``<!-- runnable -->`` (this module runs it, on its own, in an empty directory),
``<!-- runnable: continued -->`` (it runs after the blocks before it in the same file, as one
program: an example told in steps) or ``<!-- not runnable: why -->`` (a pytest module, a
PostgreSQL server, ...). An unmarked block fails, so a new example is run unless its author says
why not. What an example registers in ``sync_sdk.contracts.registry`` is unregistered after it,
as the receivers it connects are disconnected: no example leaks into another test.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from sync_sdk import Actor, SyncHub, signals
from sync_sdk.contracts import registry
from sync_sdk.events import EventEnvelope

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = "<!-- runnable -->"
CONTINUED = "<!-- runnable: continued -->"
NOT_RUNNABLE = re.compile(r"<!-- not runnable: \S.* -->")

INPUT = {
    "integrationId": "int-1",
    "connectionId": "conn-1",
    "name": "Contacts Sync",
    "direction": "OUTBOUND",
    "sourceObject": "contacts",
    "targetObject": "contacts",
}
USER = Actor(id="user-1", org_id="org-1")


@attrs.frozen
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    marker: str  # the line before the fence
    code: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def python_blocks(path: Path) -> list[Block]:
    """The ```python blocks of a Markdown file, each with the line before its fence."""
    lines = path.read_text().splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        fence = lines[index].strip()
        if fence.startswith("```") and fence[3:].strip().lower() in ("python", "py", "python3"):
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            marker = lines[index - 1].strip() if index else ""
            code = "\n".join(lines[index + 1 : end])
            if marker == CONTINUED:  # one program with the blocks before it
                previous = blocks[-1] if blocks else None
                if previous is None or previous.marker not in (RUNNABLE, CONTINUED):
                    raise ValueError(f"{path}:{index + 1}: nothing runnable to continue")
                code = previous.code + "\n" + code
            blocks.append(Block(path, index + 1, marker, code))
            index = end
        index += 1
    return blocks


ALL_BLOCKS = [block for path in DOCS for block in python_blocks(path)]
RUNNABLE_BLOCKS = [block for block in ALL_BLOCKS if block.marker in (RUNNABLE, CONTINUED)]


@pytest.fixture
def own_receivers() -> Iterator[None]:
    """Disconnect whatever receivers an example connects to sync_sdk's signals."""
    before = {name: set(sig.receivers) for name, sig in signals.namespace.items()}
    yield
    for name, sig in signals.namespace.items():
        for receiver_id in set(sig.receivers) - before.get(name, set()):
            ref = sig.receivers.get(receiver_id)
            receiver = ref() if isinstance(ref, weakref.ref) else ref
            if receiver is not None:  # a collected one is gone already
                sig.disconnect(receiver)


@contextlib.contextmanager
def registrations_undone() -> Iterator[None]:
    """Unregister, on leaving, whatever contracts were registered inside."""
    before = {(c.key, c.version) for c in registry}
    try:
        yield
    finally:
        for contract in list(registry):
            if (contract.key, contract.version) not in before:
                registry.unregister(contract.key, contract.version)


@pytest.fixture
def own_registrations() -> Iterator[None]:
    """Unregister whatever contracts an example registers."""
    with registrations_undone():
        yield


def test_an_example_that_registers_an_operation_leaves_the_registry_as_it_was() -> None:
    (block, *_) = (b for b in RUNNABLE_BLOCKS if b.path.name == "extending.md")
    before = list(registry)
    with registrations_undone():
        exec(
            compile(block.code, block.where, "exec", dont_inherit=True), {"__name__": "__example__"}
        )
        assert "integration.note.add" in registry
    assert list(registry) == before


def test_the_extending_guide_runs_its_example_in_steps() -> None:
    blocks = [b for b in ALL_BLOCKS if b.path.name == "extending.md"]
    assert [b.marker for b in blocks][:3] == [RUNNABLE, CONTINUED, CONTINUED]
    assert blocks[0].code in blocks[2].code  # the last step runs after the first


def test_every_python_block_says_whether_it_runs() -> None:
    unmarked = [
        block.where
        for block in ALL_BLOCKS
        if block.marker not in (RUNNABLE, CONTINUED) and not NOT_RUNNABLE.fullmatch(block.marker)
    ]
    assert not unmarked, (
        f"put {RUNNABLE} (or <!-- not runnable: why -->) on the line before each "
        f"```python block: {unmarked}"
    )


def test_the_readme_and_the_architecture_guide_have_runnable_examples() -> None:
    files = {block.path.name for block in RUNNABLE_BLOCKS}
    assert {"README.md", "architecture.md", "extending.md"} <= files
    assert sum(block.path.name == "README.md" for block in RUNNABLE_BLOCKS) >= 4


def test_relative_links_lead_to_files() -> None:
    broken = []
    for path in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
            if "://" not in target and not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, broken


def test_the_readme_links_the_guides() -> None:
    readme = (ROOT / "README.md").read_text()
    for guide in ("docs/architecture.md", "docs/harness.md", "docs/performance.md"):
        assert f"]({guide})" in readme, guide


@pytest.mark.usefixtures("own_receivers", "own_registrations")
@pytest.mark.parametrize("block", RUNNABLE_BLOCKS, ids=lambda block: block.where)
def test_runnable_example_runs(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # examples may write files such as configs.db
    monkeypatch.delenv("SYNC_SDK_STORAGE_URL", raising=False)
    namespace: dict[str, Any] = {"__name__": "__example__"}
    exec(compile(block.code, block.where, "exec", dont_inherit=True), namespace)


# -- what the docs promise about receivers ---------------------------------------------------


def test_receivers_run_in_the_callers_thread_before_the_call_returns() -> None:
    calls: list[tuple[int, bool]] = []

    def receiver(sender: object, *, event: EventEnvelope) -> None:
        calls.append((threading.get_ident(), len(hub.list_sync_configs(actor=USER).items) == 1))

    with SyncHub() as hub, signals.sync_config_created.connected_to(receiver):
        hub.create_sync_config(INPUT, actor=USER)
        # called once, already, in this thread, with the config committed and readable
        assert calls == [(threading.get_ident(), True)]


def test_a_receiver_that_refuses_the_hand_off_leaves_the_event_for_redelivery() -> None:
    jobs: queue.Queue[object] = queue.Queue(maxsize=1)
    jobs.put_nowait("an earlier job")  # the queue is full

    def hand_off(sender: object, *, event: EventEnvelope) -> None:
        jobs.put_nowait(event)

    with SyncHub() as hub, signals.sync_config_created.connected_to(hand_off):
        cfg = hub.create_sync_config(INPUT, actor=USER)  # queue.Full: logged, not raised
        assert hub.redeliver_pending() == 0  # still full: still pending
        jobs.get_nowait()  # the worker takes a job
        assert hub.redeliver_pending() == 1
        event = jobs.get_nowait()
        assert isinstance(event, EventEnvelope) and event.payload == cfg
        assert hub.redeliver_pending() == 0
