"""The benchmark keeps working: a tiny run prints its table. No timing is asserted here."""

import subprocess
import sys
from pathlib import Path

from .conftest import postgres_schema_url

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


def test_bench_create_leaves_the_postgres_database_as_it_found_it() -> None:
    # The bench works in a schema of its own and drops it: the database it was pointed at
    # (here a fresh test schema, first in the URL's search_path) keeps no table and no row.
    url = postgres_schema_url()
    import psycopg

    def schemas() -> set[str]:
        with psycopg.connect(url) as conn:
            return {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace")}

    before = schemas()
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--only", "postgresql", "--postgres", url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "| postgresql |" in result.stdout
    assert schemas() == before
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    assert tables == []


RUNS_BENCH = BENCH.parent / "bench_runs.py"


def test_bench_runs_quick_run() -> None:
    result = subprocess.run(
        [sys.executable, str(RUNS_BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for backend in ("sqlite-file-full", "sqlite-file-normal"):
        assert f"| {backend} |" in out
    assert "trigger_sync + run_pending(limit=1), one run each, 2 interleaved rounds" in out
    assert "SDK / raw is the median of the 2 rounds' ratios" in out
    assert "  sqlite-file-full: rounds " in out and "whole run" in out
    assert "schedule_due (sqlite-file), 50 runs made: median" in out
    assert "with 2,000 configs" in out


def test_bench_runs_leaves_the_postgres_database_as_it_found_it() -> None:
    url = postgres_schema_url()
    import psycopg

    def schemas() -> set[str]:
        with psycopg.connect(url) as conn:
            return {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace")}

    before = schemas()
    result = subprocess.run(
        [sys.executable, str(RUNS_BENCH), "--quick", "--only", "postgresql", "--postgres", url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "| postgresql |" in result.stdout
    assert "schedule_due (postgresql), 50 runs made" in result.stdout
    assert "sqlite" not in result.stdout.split("\n\n", 1)[1]  # --only: PostgreSQL alone
    assert schemas() == before
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    assert tables == []
