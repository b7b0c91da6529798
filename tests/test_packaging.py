"""The distribution's metadata tells the truth: the license it announces is in the repository."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_announced_license_file_is_there() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the sync_sdk authors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_build_requires_a_setuptools_that_reads_license_expressions() -> None:
    # PEP 639 (license = "MIT" as an SPDX expression, license-files) arrived in setuptools 77;
    # an older one rejects the string form of project.license.
    (requirement,) = (
        r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")
    )
    found = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", requirement)
    assert found is not None, requirement
    assert int(found.group(1)) >= 77
