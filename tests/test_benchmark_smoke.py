"""The benchmark keeps working: a tiny run prints its table. No timing is asserted here."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_create.py"


def test_bench_create_quick_run() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--scale", "3000"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for backend in ("sqlite-file-full", "sqlite-file-normal", "sqlite-memory", "memory"):
        assert f"| {backend} |" in out
    assert "SDK / raw is the median of the 2 rounds' ratios" in out
    assert "  sqlite-file-full: rounds " in out and "whole run" in out
    assert "validation (valid and invalid mixed):" in out
    assert "create_sync_configs (batches of 100" in out
    assert "batch / single is the median of 1 rounds' ratios" in out
    assert "raw sqlite3, same rows, same file settings: executemany batches" in out
    assert "RSS growth over 500 creates" in out
    assert "get_sync_config median:" in out and "at 3,000" in out
