"""The ``sync-sdk`` command (also ``python -m sync_sdk``).

    $ sync-sdk demo                 # create the contract example's config in ./sync_sdk_demo.db
    $ sync-sdk lint                 # check every registered contract; exit 1 on any finding
    $ sync-sdk features             # write features/<key>.feature for every registered contract
    $ sync-sdk docs                 # write docs/contracts/<key>.md for every registered contract
    $ sync-sdk worker --storage URL --engine myapp.sync:engine [--interval 5] [--once]

``features`` and ``docs`` take ``--dir`` and ``--check`` (write nothing; exit 1 when the files
differ from what would be generated). They write only the files whose content changed, and
remove only files they generated themselves (see :mod:`sync_sdk.contracts.generated`), saying
which. ``sync-sdk --version`` prints the installed version. Exit codes: 0 done, 1 findings or
drift, 2 a usage error (a bad argument, a directory that cannot be written).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sync_sdk.contracts import CREATE_SYNC_CONFIG, lint, registry
from sync_sdk.contracts.docs import DOCS_COMMAND, page_files
from sync_sdk.contracts.generated import GeneratedFile, check_generated, update_generated
from sync_sdk.contracts.gherkin import FEATURES_COMMAND, feature_files
from sync_sdk.errors import SyncSdkError
from sync_sdk.events import EventEnvelope
from sync_sdk.hub import SyncHub
from sync_sdk.records import Actor
from sync_sdk.signals import sync_config_created

__all__ = ["main"]

DEMO_DB = "sync_sdk_demo.db"
DEMO_ACTOR = Actor(id="demo-user", org_id="demo-org")
DEMO_IDEMPOTENCY_KEY = "demo:create-contact-sync"


def _show(title: str, value: Any) -> None:
    print(f"\n{title}")
    print(json.dumps(value, indent=2, default=str))


def demo(db_path: str) -> int:
    """Create the contract example's config in a SQLite file, with a subscriber connected.

    The call carries an idempotency key, so a second run finds the config of the first one:
    it writes nothing, publishes nothing, and says so.
    """
    example = CREATE_SYNC_CONFIG.acceptance.examples[0]
    received: list[EventEnvelope] = []

    def subscriber(sender: SyncHub, *, event: EventEnvelope) -> None:
        received.append(event)

    url = "sqlite:///" + str(Path(db_path).resolve())
    print(f"sync_sdk demo: contract {CREATE_SYNC_CONFIG.key} v{CREATE_SYNC_CONFIG.version}")
    print(f"storage: {url}")
    with SyncHub(url) as hub, sync_config_created.connected_to(subscriber):
        before = hub.list_sync_configs(actor=DEMO_ACTOR).total
        config = hub.create_sync_config(
            dict(example.input), actor=DEMO_ACTOR, idempotency_key=DEMO_IDEMPOTENCY_KEY
        )
        _show(f"Sync config (example {example.key!r}):", config.to_dict())
        if received:
            _show("Event received by the subscriber:", received[0].to_dict())
        else:
            print(
                f"\nNo event: this database already held the config (created by an earlier run "
                f"under idempotency key {DEMO_IDEMPOTENCY_KEY!r}); nothing new was written."
            )
        audit = hub.audit_log(actor=DEMO_ACTOR, subject_id=config.id)
        _show("Audit record:", [r.to_dict() for r in audit])
        after = hub.list_sync_configs(actor=DEMO_ACTOR).total
        print(f"\nConfigs in {db_path}: {before} before, {after} after.")
    return 0


def lint_contracts(keys: Sequence[str] = ()) -> int:
    """Print the findings of the registered contracts (those named by ``keys``, else all);
    0 when there are none, 1 otherwise.

    >>> lint_contracts(["integration.syncConfig.create"])
    1 contract checked: no findings
    0
    """
    contracts = [registry.get(key) for key in keys] if keys else list(registry)
    total = 0
    for contract in contracts:
        findings = lint(contract)
        total += len(findings)
        for finding in findings:
            print(f"{contract.key} v{contract.version}: {finding}")
    checked = f"{len(contracts)} contract{'s' if len(contracts) != 1 else ''}"
    if total:
        print(f"{total} finding{'s' if total != 1 else ''} in {checked}", file=sys.stderr)
        return 1
    print(f"{checked} checked: no findings")
    return 0


# command -> (default directory, the files to generate, their pattern, the command's name)
_SURFACES: dict[str, tuple[str, Callable[[], list[GeneratedFile]], str, str]] = {
    "features": ("features", feature_files, "*.feature", FEATURES_COMMAND),
    "docs": ("docs/contracts", page_files, "*.md", DOCS_COMMAND),
}


def generate(what: str, directory: str | None, check: bool) -> int:
    """Write (or with ``check``, compare) the feature files or docs pages of every contract.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     generate("docs", tmp, check=False) == 0 == generate("docs", tmp, check=False)
    wrote .../integration.syncConfig.create.md
    unchanged .../integration.syncConfig.create.md
    True
    """
    default, files, pattern, command = _SURFACES[what]
    directory = directory or default
    if not check:
        update = update_generated(files(), directory, pattern)
        for path in update.removed:
            print(f"removed {path} (generated for a contract that is no longer registered)")
        for path in update.written:
            print(f"wrote {path}")
        for path in update.unchanged:
            print(f"unchanged {path}")
        return 0
    problems = check_generated(files(), directory, pattern, command)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{directory}: up to date")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sync-sdk", description="Manage sync configurations from operation contracts."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_cmd = commands.add_parser("demo", help="create the contract example's config")
    demo_cmd.add_argument("--db", default=DEMO_DB, help=f"SQLite file (default: {DEMO_DB})")
    lint_cmd = commands.add_parser("lint", help="check contracts; exit 1 on any finding")
    lint_cmd.add_argument("keys", nargs="*", metavar="KEY", help="contract keys (default: all)")
    for name, what in (("features", "feature files"), ("docs", "docs pages")):
        cmd = commands.add_parser(name, help=f"write the contracts' {what}")
        cmd.add_argument("--dir", help=f"output directory (default: {_SURFACES[name][0]})")
        cmd.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit 1 when the files differ from what would be generated",
        )
    worker_cmd = commands.add_parser(
        "worker", help="run pending and scheduled syncs with an engine, until stopped"
    )
    worker_cmd.add_argument(
        "--storage", help="storage URL (default: $SYNC_SDK_STORAGE_URL, else in-memory SQLite)"
    )
    worker_cmd.add_argument(
        "--engine", required=True, metavar="MODULE:CALLABLE", help="the sync engine to call"
    )
    worker_cmd.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="sleep between passes that found nothing to do (default: 5)",
    )
    worker_cmd.add_argument("--once", action="store_true", help="one pass, then exit")
    return parser


def _version() -> str:
    try:
        return version("sync_sdk")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from sync_sdk import __version__

        return f"{__version__} (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return demo(args.db)
        if args.command == "lint":
            return lint_contracts(args.keys)
        if args.command in ("features", "docs"):
            return generate(args.command, args.dir, args.check)
        if args.command == "worker":
            from sync_sdk.worker import run_worker

            return run_worker(args.storage, args.engine, interval=args.interval, once=args.once)
    except KeyError as exc:  # an unknown contract key
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except SyncSdkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # an output directory that cannot be made or written
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse rejects unknown commands
