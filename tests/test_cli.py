import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from sync_sdk.cli import DEMO_CREDENTIALS, main
from sync_sdk.contracts import registry

FLOW_EVENTS = [
    "integration.created",
    "integration.connection.created",
    "integration.syncConfig.created",
    "integration.fieldMapping.added",
    "integration.sync.started",
    "integration.sync.completed",
]


def received(output: str) -> list[str]:
    return re.findall(r"^Event received by the subscriber: (\S+)$", output, re.MULTILINE)


def test_demo_twice(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db)]) == 0
    first = capsys.readouterr().out
    assert "Event received by the subscriber" in first
    assert '"key": "integration.syncConfig.created"' in first
    assert '"name": "Contacts Sync"' in first
    assert "0 before, 1 after" in first
    # the whole flow: each operation, in order, and each of its events received
    steps = re.findall(r"^\d\. .* \((\S+)\):$", first, re.MULTILINE)
    assert steps == [
        "integration.create",
        "integration.connection.create",
        "integration.fieldMapping.add",
        "integration.sync.trigger",
        "integration.syncRun.list",
    ]
    assert "3. Sync config (example 'create-contact-sync'):" in first
    assert received(first) == FLOW_EVENTS
    assert '"status": "PENDING"' in first and '"trigger": "manual"' in first
    assert "Runs of the config: 0 before, 1 after." in first
    assert "hub.connection_credentials() returns them: yes" in first
    # the worker pass ran the triggered run through the MappingEngine
    assert "7. A worker pass (hub.run_pending with a MappingEngine" in first
    assert '"status": "COMPLETED"' in first and '"recordsCreated": 3' in first
    assert "{'user_email': 'ada@example.com'}" in first
    # a second run on the same file: the idempotency keys find the first run's integration,
    # config, mapping and run (no Conflict for the active run); only a new connection is made
    assert main(["demo", "--db", str(db)]) == 0
    second = capsys.readouterr().out
    assert "No event" in second
    assert "1 before, 1 after" in second
    assert received(second) == ["integration.connection.created"]
    assert "Runs of the config: 1 before, 1 after." in second
    assert "7. A worker pass: no pending run" in second and "is COMPLETED" in second
    assert second.count("written by an earlier run; no event") == 3
    runs = re.findall(r'"id": "(run_\w+)"', first)
    assert runs and set(runs) == set(re.findall(r'"id": "(run_\w+)"', second))


def test_demo_never_shows_the_key_or_the_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = DEMO_CREDENTIALS["clientSecret"]
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SYNC_SDK_SECRET_KEY", key)
    assert main(["demo", "--db", str(tmp_path / "own.db")]) == 0
    out = capsys.readouterr().out
    assert "secret key: $SYNC_SDK_SECRET_KEY\n" in out
    assert key not in out and secret not in out and "demo-client" not in out
    # without one, the demo makes its own for the run and says so, never showing it
    monkeypatch.delenv("SYNC_SDK_SECRET_KEY")
    made = Fernet.generate_key()
    monkeypatch.setattr("sync_sdk.cli.Fernet.generate_key", lambda: made)
    assert main(["demo", "--db", str(tmp_path / "made.db")]) == 0
    out = capsys.readouterr().out
    assert "the demo generated one for this run (not shown, not stored)" in out
    assert made.decode() not in out and secret not in out
    assert "hub.connection_credentials() returns them: yes" in out
    # and the database files hold no clear text of the credentials
    for path in tmp_path.iterdir():
        assert secret.encode() not in path.read_bytes(), path.name


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sync_sdk", "demo", "--db", str(tmp_path / "d.db")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Audit record" in result.stdout


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"sync-sdk {version('sync_sdk')}\n"


@pytest.mark.parametrize("command", ["features", "docs"])
def test_a_directory_that_cannot_be_written_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (tmp_path / "a-file").write_text("")
    for directory in ("/proc/nope", str(tmp_path / "a-file" / "out")):
        assert main([command, "--dir", directory]) == 2  # no traceback: main returns
        err = capsys.readouterr().err
        assert err.startswith(f"error: cannot write {directory}: "), err
        assert err.count("\n") == 1


@pytest.mark.parametrize(("command", "suffix"), [("features", ".feature"), ("docs", ".md")])
def test_unchanged_files_are_not_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, suffix: str
) -> None:
    assert main([command, "--dir", str(tmp_path)]) == 0
    paths = sorted(tmp_path.iterdir())
    assert len(paths) == len(registry)
    assert capsys.readouterr().out == "".join(f"wrote {p}\n" for p in paths)
    path = tmp_path / f"integration.syncConfig.create{suffix}"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # an mtime no write could leave
    assert main([command, "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "".join(f"unchanged {p}\n" for p in paths)
    assert path.stat().st_mtime_ns == 1_000_000_000
    path.write_text(path.read_text() + "edited\n")
    assert main([command, "--dir", str(tmp_path)]) == 0
    assert f"wrote {path}\n" in capsys.readouterr().out
