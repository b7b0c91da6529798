import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from sync_sdk.cli import main


def test_demo_twice(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db)]) == 0
    first = capsys.readouterr().out
    assert "Event received by the subscriber" in first
    assert '"key": "integration.syncConfig.created"' in first
    assert '"name": "Contacts Sync"' in first
    assert "0 before, 1 after" in first
    assert main(["demo", "--db", str(db)]) == 0
    second = capsys.readouterr().out
    assert "No event" in second
    assert "1 before, 1 after" in second


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


def test_unchanged_files_are_not_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["features", "--dir", str(tmp_path)]) == 0
    paths = sorted(tmp_path.iterdir())
    assert len(paths) == 6  # one per registered contract
    assert capsys.readouterr().out == "".join(f"wrote {p}\n" for p in paths)
    for p in paths:
        os.utime(p, ns=(1_000_000_000, 1_000_000_000))  # an mtime no write could leave
    assert main(["features", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "".join(f"unchanged {p}\n" for p in paths)
    assert {p.stat().st_mtime_ns for p in paths} == {1_000_000_000}
    path = paths[0]
    path.write_text(path.read_text() + "# edited\n")
    assert main(["features", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote {path}\n" + "".join(
        f"unchanged {p}\n" for p in paths[1:]
    )
