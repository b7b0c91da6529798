"""``sync-sdk worker`` as a user runs it: a process of its own, on a SQLite file.

The engine is a module the test writes into a temporary directory, the worker's current
directory, as an application's own module would be.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from sync_sdk import SyncHub
from sync_sdk.models import SyncRun, SyncStatus

from .conftest import USER, VALID_INPUT

ENGINE = """
import os
import time
from pathlib import Path

from sync_sdk.engine import SyncResult

HERE = Path(__file__).resolve().parent


def engine(context):
    with open(HERE / "ran.txt", "a") as ran:
        ran.write(f"{context.run.id} {os.getpid()}\\n")
    name = context.config.name
    if name == "boom":
        raise RuntimeError("the target said no")
    if name == "slow":
        (HERE / "started").touch()
        wait_for(lambda: (HERE / "go").exists())
    if name.startswith("shared"):
        # hold the first runs until both workers have one in hand
        wait_for(lambda: len({line.split()[1] for line in lines()}) >= 2)
    return SyncResult(records_processed=len(name), records_created=1)


def lines():
    return (HERE / "ran.txt").read_text().splitlines()


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


not_callable = 42
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A directory with the application's engine module (``myengine``)."""
    (tmp_path / "myengine.py").write_text(ENGINE)
    (tmp_path / "broken.py").write_text("import a_module_that_is_not_there\n")
    return tmp_path


def db_url(app: Path) -> str:
    return f"sqlite:///{app / 'runs.db'}"


def trigger(app: Path, *names: str) -> list[SyncRun]:
    with SyncHub(db_url(app)) as hub:
        runs = []
        for name in names:
            config = hub.create_sync_config({**VALID_INPUT, "name": name}, actor=USER)
            runs.append(hub.trigger_sync(sync_config_id=config.id, actor=USER))
        return runs


def statuses(app: Path, runs: list[SyncRun]) -> list[SyncStatus]:
    with SyncHub(db_url(app)) as hub:
        return [hub.get_sync_run(r.id, actor=USER).status for r in runs]


def worker_command(app: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sync_sdk", "worker", "--storage", db_url(app), *args]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SYNC_SDK_STORAGE_URL"}
    return {**env, "PYTHONUNBUFFERED": "1"}


def run_worker(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        worker_command(app, *args),
        cwd=app,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
        check=False,
    )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def run_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " sync run " in line]


def test_once_runs_the_pending_runs_and_logs_one_line_each(app: Path) -> None:
    runs = trigger(app, "Contacts", "boom", "Deals")
    result = run_worker(app, "--engine", "myengine:engine", "--once")
    assert result.returncode == 0, result.stderr
    assert statuses(app, runs) == [
        SyncStatus.COMPLETED,
        SyncStatus.FAILED,
        SyncStatus.COMPLETED,
    ]
    lines = run_lines(result.stdout)
    assert len(lines) == 3, result.stdout
    for run, line in zip(runs, lines, strict=True):
        assert run.id in line and run.sync_config_id in line
    assert "COMPLETED (processed 8, created 1, updated 0, failed 0)" in lines[0]
    assert lines[1].endswith("FAILED (processed 0, created 0, updated 0, failed 0):"
                             " RuntimeError: the target said no")  # fmt: skip
    assert "stopped: 3 run(s) finished" in result.stdout
    assert "Traceback" not in result.stdout


def test_once_with_nothing_to_do_exits_zero(app: Path) -> None:
    result = run_worker(app, "--engine", "myengine:engine", "--once")
    assert result.returncode == 0, result.stderr
    assert run_lines(result.stdout) == []
    assert "stopped: 0 run(s) finished" in result.stdout


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no_such_module_here:engine", "cannot import 'no_such_module_here': ModuleNotFoundError"),
        ("broken:engine", "cannot import 'broken': ModuleNotFoundError"),
        ("myengine:missing", "'myengine' has no attribute 'missing'"),
        ("myengine:not_callable", "'not_callable' is a int, not a callable"),
        ("myengine", "give module:callable"),
        (":engine", "give module:callable"),
        ("myengine:", "give module:callable"),
    ],
)
def test_an_engine_that_cannot_be_loaded_is_a_clear_error(app: Path, spec: str, says: str) -> None:
    (run,) = trigger(app, "Contacts")
    result = run_worker(app, "--engine", spec, "--once")
    assert result.returncode == 2
    assert result.stderr.startswith(f"sync-sdk worker: --engine {spec!r}: ")
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert statuses(app, [run]) == [SyncStatus.PENDING]
    assert not (app / "ran.txt").exists()


def test_a_storage_that_cannot_be_opened_is_a_clear_error(app: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sync_sdk", "worker", "--storage", "nosuch://x",
         "--engine", "myengine:engine", "--once"],
        cwd=app, capture_output=True, text=True, env=environment(), timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("sync-sdk worker: ")
    assert "nosuch" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_lets_the_run_in_hand_finish_then_exits_zero(app: Path) -> None:
    slow, waiting = trigger(app, "slow", "Contacts")
    out = app / "worker.out"
    with open(out, "w") as stdout:
        worker = subprocess.Popen(
            worker_command(app, "--engine", "myengine:engine", "--interval", "0.1"),
            cwd=app,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
    try:
        wait_for(lambda: (app / "started").exists(), "the engine to start the slow run")
        worker.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping after the run in hand" in out.read_text(), "the stop line")
        assert worker.poll() is None  # still running its run
        (app / "go").touch()
        _, stderr = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert statuses(app, [slow, waiting]) == [SyncStatus.COMPLETED, SyncStatus.PENDING]
    output = out.read_text()
    (line,) = run_lines(output)
    assert slow.id in line and "COMPLETED" in line
    assert "(SIGTERM)" in output
    assert "stopped: 1 run(s) finished" in output


def test_two_workers_on_one_sqlite_file_share_the_runs(app: Path) -> None:
    runs = trigger(app, *[f"shared {i}" for i in range(12)])
    workers = [
        subprocess.Popen(
            worker_command(app, "--engine", "myengine:engine", "--once"),
            cwd=app,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        for _ in range(2)
    ]
    outputs = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr
        outputs.append(stdout)
    assert statuses(app, runs) == [SyncStatus.COMPLETED] * len(runs)
    ran = [line.split() for line in (app / "ran.txt").read_text().splitlines()]
    # every run executed exactly once, by one of the two workers, and both did some
    assert Counter(run_id for run_id, _ in ran) == Counter(r.id for r in runs)
    assert {pid for _, pid in ran} == {str(w.pid) for w in workers}
    logged = [run_lines(output) for output in outputs]
    assert all(logged) and sum(len(lines) for lines in logged) == len(runs)


@pytest.mark.parametrize("interval", ["0", "-1", "nan", "inf"])
def test_a_bad_interval_exits_2_before_starting(
    interval: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from sync_sdk.cli import main

    assert main(["worker", "--engine", "os:getcwd", "--interval", interval]) == 2
    captured = capsys.readouterr()
    assert captured.err == "sync-sdk worker: --interval must be a positive number of seconds\n"
    assert "sync-sdk worker on" not in captured.out
