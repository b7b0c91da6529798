"""The vendored ContractSpec sources: intact, what the contract ports, and the only ones read.

``contracts/source/`` holds, verbatim, what sync_sdk ports from (the seed page and ContractSpec's
integration-hub sources, MIT), so that a fresh clone runs every test with nothing beside it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import attrs

from sync_sdk.contracts import CREATE_SYNC_CONFIG, SEED_CREATE_CONTACT_SYNC_EXAMPLE

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "contracts" / "source"
SEED = SOURCES / "seed" / "integration.syncConfig.create.md"
SYNC_OPERATIONS = SOURCES / "contractspec" / "integration-hub" / "sync" / "sync.operations.ts"

# Ways a file could reach for the material outside the repository: "../shared", an absolute
# path to it, or a path built from a parent directory and "shared".
OUTSIDE_PATH = re.compile(
    r"""\.\.[/\\]+shared\b"""
    r"""|/work/shared\b"""
    r"""|\bparents?\b[^\n]*["']shared["']"""
    r"""|(?:["']\.\.["']|\bpardir\b)\s*,\s*["']shared["']"""
)


def quoted(text: str) -> set[str]:
    """Every single-quoted string of a TypeScript fragment."""
    return set(re.findall(r"'([^']*)'", text))


def contract_strings() -> set[str]:
    """Every string value the Python contract holds (meta, policy, events, audit, scenarios)."""
    c = CREATE_SYNC_CONFIG
    values: set[object] = set()
    for part in (c.meta, c.policy, *c.side_effects.emits, *c.acceptance.scenarios):
        for value in attrs.asdict(part, recurse=False).values():
            values.update(value if isinstance(value, tuple) else [value])
    values.update(c.side_effects.audit)
    return {v for v in values if isinstance(v, str)}


def create_contract_block(source: str) -> str:
    """The ``CreateSyncConfigContract = defineCommand({...});`` block of a TypeScript text."""
    start = source.index("export const CreateSyncConfigContract = defineCommand({")
    end = re.compile(r"\n\s*\}\);").search(source, start)
    assert end is not None, "the contract block has no end"
    return source[start : end.start()]


def test_vendored_files_match_their_checksums() -> None:
    listed = {}
    for line in (SOURCES / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    present = {p.relative_to(SOURCES).as_posix() for p in SOURCES.rglob("*") if p.is_file()}
    # README.md (what this folder is) and SHA256SUMS are ours; everything else is vendored
    assert present - {"README.md", "SHA256SUMS"} == set(listed)
    changed = [
        name
        for name, digest in listed.items()
        if hashlib.sha256((SOURCES / name).read_bytes()).hexdigest() != digest
    ]
    assert not changed, f"vendored files changed (they are kept verbatim): {changed}"


def test_vendored_tree_carries_its_license_and_layout() -> None:
    license_text = (SOURCES / "contractspec" / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    assert "Chaman Ventures" in license_text
    hub = SOURCES / "contractspec" / "integration-hub"
    for name in ("integration-hub.feature.ts", "events.ts", "sync/sync.schema.ts"):
        assert (hub / name).is_file(), name
    assert "sync/sync.operations.ts" in SEED.read_text()  # the seed's File line names it


def test_seed_source_definition_is_what_the_contract_ports() -> None:
    block = create_contract_block(SEED.read_text())
    assert block.startswith("export const CreateSyncConfigContract = defineCommand({")
    assert CREATE_SYNC_CONFIG.meta.kind == "command"  # defineCommand, not a quoted string
    body = block[: block.index("examples:")]
    # every quoted string of the seed's contract is a value of ours, and every value of ours
    # is one of the seed's
    assert quoted(body) == contract_strings() - {"command"}


def test_contractspec_sources_define_the_same_contract() -> None:
    block = create_contract_block(SYNC_OPERATIONS.read_text())
    body = block[: block.index("examples:")]
    # the sources name the owner through a constant (OWNERS), the seed page inline
    assert "const OWNERS = ['@example.integration-hub'] as const;" in SYNC_OPERATIONS.read_text()
    assert quoted(body) == contract_strings() - {"command", "@example.integration-hub"}
    assert CREATE_SYNC_CONFIG.source_file.endswith("src/sync/sync.operations.ts")


def test_seed_example_is_kept_verbatim_as_test_data() -> None:
    block = create_contract_block(SEED.read_text())
    example = block[block.index("examples:") :]
    seed = SEED_CREATE_CONTACT_SYNC_EXAMPLE
    values = {seed.key, *seed.input.values(), *seed.output.values()}
    assert quoted(example) == values
    assert set(re.findall(r"(\w+):", example)) == {"examples", "key", "input", "output"} | {
        *seed.input,
        *seed.output,
    }


def test_nothing_reads_outside_the_repository() -> None:
    this = Path(__file__).resolve()
    found = []
    for folder in ("sync_sdk", "tests", "benchmarks", ".ci"):
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or path.resolve() == this or "__pycache__" in path.parts:
                continue
            text = path.read_bytes().decode("utf-8", "replace")
            for number, line in enumerate(text.splitlines(), 1):
                if OUTSIDE_PATH.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "paths outside the repository (use contracts/source/):\n" + "\n".join(found)


def test_the_outside_path_pattern_catches_each_form() -> None:
    for line in (
        'SEED = ROOT.parent / "shared" / "seed"',
        "Path(__file__).resolve().parents[2] / 'shared'",
        "open('../shared/seed/x.md')",
        'os.path.join(root, os.pardir, "shared")',
        'os.path.join(root, "..", "shared")',
        "cat /work/shared/seed/x.md",
    ):
        assert OUTSIDE_PATH.search(line), line
    for line in ("a shared store", "shared=not private", "contracts/source/seed"):
        assert not OUTSIDE_PATH.search(line), line
