import subprocess
import sys
from pathlib import Path

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
