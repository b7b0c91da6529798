"""Reliability tests: threads, processes, SIGKILL, injected faults and hostile input.

Each test states what it exercised (threads, kills, faults, events) through the ``report``
fixture; the lines are printed in a section of their own at the end of the run, with each
test's wall time, with ``-v`` or after a failure (a plain ``pytest -q`` stays quiet).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import verbose_or_failed

ROOT = Path(__file__).resolve().parents[2]
_lines: list[str] = []


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Iterator[Callable[[str], None]]:
    """``report("...")``: one line for the reliability summary, with the test's run time."""
    started = time.perf_counter()
    mine: list[str] = []
    yield mine.append
    took = time.perf_counter() - started
    _lines.extend(f"{request.node.name}: {line} [{took:.1f} s]" for line in mine)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _lines and verbose_or_failed(config, exitstatus):
        terminalreporter.section("reliability counts")
        for line in _lines:
            terminalreporter.write_line(line)


def spawn(*args: str) -> subprocess.Popen[str]:
    """``python -m tests.reliability.child ARGS...`` from the repository root."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.child", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    """Poll ``condition`` until true; fail (not hang) if it never becomes true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.005)
