"""Generated surfaces (feature files, docs pages): write them, or check them for drift.

A generated file starts with a line holding :data:`GENERATED_MARKER`, so that a file this SDK
generated once, for a contract that is gone, can be told apart from a hand-written one::

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = [GeneratedFile("a.feature", "# @generated\\nFeature: a\\n")]
    ...     before = check_generated(files, tmp, "*.feature", "sync-sdk features")
    ...     _ = write_generated(files, tmp, "*.feature")
    ...     after = check_generated(files, tmp, "*.feature", "sync-sdk features")
    >>> before
    ['a.feature is missing: run `sync-sdk features` to generate it']
    >>> after
    []

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

__all__ = ["GENERATED_MARKER", "GeneratedFile", "check_generated", "write_generated"]

#: Every generated file carries this word in its first line.
GENERATED_MARKER = "@generated"


@frozen
class GeneratedFile:
    """A file to generate: its ``name`` inside the output directory and its full ``text``."""

    name: str
    text: str


def _generated_here(directory: Path, pattern: str) -> list[Path]:
    """Files matching ``pattern`` in ``directory`` whose first line has the generated marker."""
    found = []
    for path in sorted(directory.glob(pattern)):
        with path.open(encoding="utf-8") as handle:
            if GENERATED_MARKER in handle.readline():
                found.append(path)
    return found


def write_generated(
    files: Sequence[GeneratedFile], directory: str | Path, pattern: str
) -> list[Path]:
    """Write ``files`` into ``directory`` (created if needed); returns the paths written.

    Generated files matching ``pattern`` that ``files`` no longer has (their contract was removed
    or renamed) are deleted; hand-written files are never touched.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    wanted = {f.name for f in files}
    for stale in _generated_here(out, pattern):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for file in files:
        path = out / file.name
        path.write_text(file.text, encoding="utf-8")
        written.append(path)
    return written


def check_generated(
    files: Sequence[GeneratedFile], directory: str | Path, pattern: str, command: str
) -> list[str]:
    """Why the files in ``directory`` differ from ``files`` (with a diff), or ``[]``.

    Every message names ``command``, the command that regenerates the files.
    """
    out = Path(directory)
    problems = []
    for file in files:
        path = out / file.name
        if not path.is_file():
            problems.append(f"{file.name} is missing: run `{command}` to generate it")
            continue
        current = path.read_text(encoding="utf-8")
        if current != file.text:
            diff = "".join(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    file.text.splitlines(keepends=True),
                    f"{file.name} (committed)",
                    f"{file.name} (generated now)",
                )
            )
            problems.append(
                f"{file.name} differs from what the generator produces now: "
                f"run `{command}` to regenerate it\n{diff}"
            )
    wanted = {f.name for f in files}
    if out.is_dir():
        for stale in _generated_here(out, pattern):
            if stale.name not in wanted:
                problems.append(
                    f"{stale.name} was generated for a contract that is no longer registered: "
                    f"run `{command}` to remove it"
                )
    return problems
