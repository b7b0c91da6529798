"""This suite's own end-of-run sections: quiet in a plain ``pytest -q``, shown with ``-v`` or
after a failure; CI asks for the PostgreSQL line with ``SYNC_SDK_TEST_POSTGRES_SUMMARY=1``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A reliability test that reports its counts, and a PostgreSQL test (skipped: no server here).
TESTS = [
    "tests/reliability/test_hostile_input.py::test_hostile_strings_round_trip_byte_for_byte[memory]",
    "tests/test_postgres.py::test_hub_selects_postgres_by_url",
]
RELIABILITY = "reliability counts"
POSTGRES = "PostgreSQL backend"


def run(*args: str, **env: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SYNC_SDK_", "PYTEST_")) and k != "CI"
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, *TESTS],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return result.stdout


def test_a_quiet_run_prints_no_summary_sections() -> None:
    out = run("-q")
    assert "1 passed, 1 skipped" in out, out
    assert RELIABILITY not in out and POSTGRES not in out, out


def test_verbose_runs_and_failures_print_them() -> None:
    out = run("-v")
    assert RELIABILITY in out and POSTGRES in out, out
    # CI=true without a server: the PostgreSQL test fails, and the counts are shown
    out = run("-q", CI="true")
    assert "1 passed, 1 error" in out, out
    assert RELIABILITY in out, out


def test_ci_asks_for_the_postgres_line_alone() -> None:
    out = run("-q", SYNC_SDK_TEST_POSTGRES_SUMMARY="1")
    assert POSTGRES in out and RELIABILITY not in out, out
    assert "tests that used the PostgreSQL server: 0" in out, out
