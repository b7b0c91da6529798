"""Every use of pytest-bdd's private API, in one place.

Tested with pytest-bdd 9.0.1; ``pyproject.toml`` bounds the dependency to ``>=9,<10``, and a
new major version is checked here before the bound moves. (8.1.0 runs the plugin under pytest
8.4, but fails to collect under pytest 9, and reads a ``"\\t"`` table cell of our own features
literally where 9 unescapes it.)

The plugin and the step library use only pytest-bdd's public API (``given``/``when``/``then``,
``parsers``, ``scenarios``, tags as pytest markers). What is left is reading a feature file
the way pytest-bdd reads it, which has no public entry point: the tests use it to check that
the generated features parse into the scenarios and steps they were generated from.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from pathlib import Path

from pytest_bdd.parser import Feature, FeatureParser

__all__ = ["Feature", "parse_feature"]


def parse_feature(path: str | Path) -> Feature:
    """The feature file at ``path``, parsed by pytest-bdd's own parser."""
    path = Path(path)
    return FeatureParser(str(path.parent), path.name).parse()
