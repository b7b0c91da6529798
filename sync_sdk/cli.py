"""The ``sync-sdk`` command (also ``python -m sync_sdk``).

    $ sync-sdk demo                 # the integration hub's flow in ./sync_sdk_demo.db
    $ sync-sdk lint                 # check every registered contract; exit 1 on any finding
    $ sync-sdk lint --strict        # ... and on any note too
    $ sync-sdk features             # write features/<key>.feature for every registered contract
    $ sync-sdk docs                 # write docs/contracts/<key>.md for every registered contract
    $ sync-sdk worker --storage URL --engine myapp.sync:engine [--interval 5] [--once]

``features`` and ``docs`` take ``--dir`` and ``--check`` (write nothing; exit 1 when the files
differ from what would be generated). They write only the files whose content changed, and
remove only files they generated themselves (see :mod:`sync_sdk.contracts.generated`), saying
which. ``lint`` prints findings (a registered contract's own problems) and notes, prefixed
``note:`` (the defects of ContractSpec's verbatim examples, and where ``events.ts`` declares
another payload than the operation emits): notes are informational unless ``--strict``.
``sync-sdk --version`` prints the installed version. Exit codes: 0 done, 1 findings (or, with
``--strict``, notes) or drift, 2 a usage error (a bad argument, an unknown contract key, a
directory that cannot be written).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import attrs
from cryptography.fernet import Fernet

from sync_sdk import signals
from sync_sdk.contracts import (
    ADD_FIELD_MAPPING,
    CREATE_CONNECTION,
    CREATE_INTEGRATION,
    CREATE_SYNC_CONFIG,
    LIST_SYNC_RUNS,
    TRIGGER_SYNC,
    VERBATIM_EXAMPLES,
    OperationContract,
    event_payload_mismatches,
    lint,
    registry,
)
from sync_sdk.contracts.docs import DOCS_COMMAND, page_files
from sync_sdk.contracts.generated import GeneratedFile, check_generated, update_generated
from sync_sdk.contracts.gherkin import FEATURES_COMMAND, feature_files
from sync_sdk.credentials import SECRET_KEY_VARIABLE
from sync_sdk.engine import MappingEngine, RunContext
from sync_sdk.errors import SyncSdkError
from sync_sdk.events import EventEnvelope
from sync_sdk.hub import SyncHub
from sync_sdk.records import Actor

__all__ = ["main"]

DEMO_DB = "sync_sdk_demo.db"
DEMO_ACTOR = Actor(id="demo-user", org_id="demo-org")
DEMO_IDEMPOTENCY_KEY = "demo:create-contact-sync"
# The demo's own values: a Salesforce integration, a connection to it, a mapping of the example
# config; credentials that look like credentials, and are never printed
DEMO_INTEGRATION = {"name": "Salesforce", "slug": "salesforce", "provider": "salesforce"}
DEMO_CREDENTIALS = {"clientId": "demo-client", "clientSecret": "demo-secret-never-printed"}
DEMO_MAPPING = {"sourceField": "email", "targetField": "user_email", "mappingType": "DIRECT"}
#: The source records the demo's worker pass reads (an app's engine would read its source).
DEMO_RECORDS = (
    {"email": "ada@example.com", "name": "Ada"},
    {"email": "grace@example.com", "name": "Grace"},
    {"name": "no email"},
)


def _show(title: str, value: Any) -> None:
    print(f"\n{title}")
    print(json.dumps(value, indent=2, default=str))


def _demo_secret_key() -> tuple[str | None, str]:
    """The secret key for the demo's hub (None: the hub reads ``$SYNC_SDK_SECRET_KEY``), and
    what to say about it. Never the key itself."""
    if os.environ.get(SECRET_KEY_VARIABLE):
        return None, f"secret key: ${SECRET_KEY_VARIABLE}"
    return Fernet.generate_key().decode(), (
        f"secret key: none in ${SECRET_KEY_VARIABLE}, so the demo generated one for this run"
        " (not shown, not stored): this run's connection credentials cannot be decrypted later"
    )


def demo(db_path: str) -> int:
    """The integration hub's whole flow in a SQLite file, with a subscriber on every signal.

    An integration, a connection with credentials (encrypted with ``$SYNC_SDK_SECRET_KEY``, or
    a key generated for this run), the contract example's sync config, a field mapping, a
    triggered run, the config's runs, a worker pass that runs the run through a
    :class:`~sync_sdk.engine.MappingEngine` over a few sample records, and the events received.
    The integration, the config, the mapping and the run carry idempotency keys, so a second
    run on the same file finds the first run's (writes nothing new for them, publishes nothing,
    and says so); the connection
    is new each run, its credentials encrypted with that run's key.
    """
    example = CREATE_SYNC_CONFIG.acceptance.examples[0]
    received: list[EventEnvelope] = []

    def subscriber(sender: SyncHub, *, event: EventEnvelope) -> None:
        received.append(event)

    def found_earlier(contract: OperationContract, key: str) -> None:
        # no event of this call: the idempotency key returned an earlier run's result
        if not any(e.key == contract.side_effects.emits[0].key for e in received):
            print(f"   found under idempotency key {key!r}: written by an earlier run; no event")

    url = "sqlite:///" + str(Path(db_path).resolve())
    secret_key, about_key = _demo_secret_key()
    print("sync_sdk demo: the integration hub's operations, one pipeline")
    print(f"storage: {url}")
    print(about_key)
    with SyncHub(url, secret_key=secret_key) as hub, ExitStack() as stack:
        for signal in signals.namespace.values():
            stack.enter_context(signal.connected_to(subscriber))
        before = hub.list_sync_configs(actor=DEMO_ACTOR).total

        integration = hub.create_integration(
            DEMO_INTEGRATION, actor=DEMO_ACTOR, idempotency_key="demo:integration"
        )
        _show(f"1. Integration ({CREATE_INTEGRATION.key}):", integration.to_dict())
        found_earlier(CREATE_INTEGRATION, "demo:integration")

        connection = hub.create_connection(
            integration_id=integration.id,
            name="Salesforce (demo)",
            auth_type="oauth2",
            credentials=DEMO_CREDENTIALS,
            actor=DEMO_ACTOR,
        )
        _show(f"2. Connection ({CREATE_CONNECTION.key}):", connection.to_dict())
        readable = hub.connection_credentials(connection.id, actor=DEMO_ACTOR) == DEMO_CREDENTIALS
        print(
            "   credentials: stored encrypted, in no output, event or audit record;"
            f" hub.connection_credentials() returns them: {'yes' if readable else 'NO'}"
        )

        config = hub.create_sync_config(
            dict(example.input), actor=DEMO_ACTOR, idempotency_key=DEMO_IDEMPOTENCY_KEY
        )
        _show(f"3. Sync config (example {example.key!r}):", config.to_dict())
        if not any(e.key == CREATE_SYNC_CONFIG.side_effects.emits[0].key for e in received):
            print(
                f"\nNo event: this database already held the config (created by an earlier run "
                f"under idempotency key {DEMO_IDEMPOTENCY_KEY!r}); nothing new was written."
            )
        runs_before = hub.list_sync_runs(sync_config_id=config.id, actor=DEMO_ACTOR).total

        mapping = hub.add_field_mapping(
            {"syncConfigId": config.id, **DEMO_MAPPING},
            actor=DEMO_ACTOR,
            idempotency_key="demo:map-email",
        )
        _show(f"4. Field mapping ({ADD_FIELD_MAPPING.key}):", mapping.to_dict())
        found_earlier(ADD_FIELD_MAPPING, "demo:map-email")
        mappings = hub.get_sync_config(config.id, actor=DEMO_ACTOR).field_mappings
        print(f"   the config's fieldMappings now: {[m.id for m in mappings]}")

        # a config has one active run at most: the key makes a second demo find the first run
        run = hub.trigger_sync(
            sync_config_id=config.id, actor=DEMO_ACTOR, idempotency_key="demo:manual-trigger"
        )
        _show(f"5. Sync run ({TRIGGER_SYNC.key}):", run.to_dict())
        found_earlier(TRIGGER_SYNC, "demo:manual-trigger")

        runs = hub.list_sync_runs(sync_config_id=config.id, actor=DEMO_ACTOR)
        _show(f"6. Runs of the config ({LIST_SYNC_RUNS.key}):", runs.to_dict())

        written: list[dict[str, Any]] = []

        def write(record: dict[str, Any], context: RunContext) -> str:
            written.append(record)
            return "created"

        finished = hub.run_pending(MappingEngine(DEMO_RECORDS, write))
        if finished:
            _show(
                "7. A worker pass (hub.run_pending with a MappingEngine over"
                f" {len(DEMO_RECORDS)} sample records):",
                [r.to_dict() for r in finished],
            )
            print(f"   records written by the app's writer: {written}")
        else:
            now = hub.get_sync_run(run.id, actor=DEMO_ACTOR)
            print(
                f"\n7. A worker pass: no pending run (run {run.id} is {now.status}: an earlier"
                " demo ran it)"
            )

        for event in received:
            _show(f"Event received by the subscriber: {event.key}", event.to_dict())
        audit = hub.audit_log(actor=DEMO_ACTOR, subject_id=config.id)
        _show("Audit record:", [r.to_dict() for r in audit])
        after = hub.list_sync_configs(actor=DEMO_ACTOR).total
        print(f"\n{len(received)} event{'s' if len(received) != 1 else ''} received this run.")
        print(f"Configs in {db_path}: {before} before, {after} after.")
        print(f"Runs of the config: {runs_before} before, {runs.total} after.")
    return 0


def _verbatim_notes(contract: OperationContract) -> list[str]:
    """The findings of ``contract`` with ContractSpec's verbatim example (if it has one, in
    :data:`~sync_sdk.contracts.VERBATIM_EXAMPLES`) in place of its shipped example."""
    verbatim = VERBATIM_EXAMPLES.get(contract.key)
    if verbatim is None:
        return []
    shipped = contract.acceptance.examples
    examples = [verbatim if e.key == verbatim.key else e for e in shipped]
    if verbatim.key not in {e.key for e in shipped}:
        examples.append(verbatim)
    swapped = attrs.evolve(
        contract, acceptance=attrs.evolve(contract.acceptance, examples=examples)
    )
    prefix = f"acceptance.examples[{verbatim.key}]"
    # only the example's own findings: the rest of the contract is linted as shipped
    return [f"verbatim {finding}" for finding in lint(swapped) if finding.path.startswith(prefix)]


def lint_contracts(keys: Sequence[str] = (), *, strict: bool = False) -> int:
    """Lint the registered contracts (those named by ``keys``, else all) and print what was found.

    Findings are problems of the contracts as registered: exit code 1. Notes are what the
    contracts were ported from: the defects of ContractSpec's verbatim examples
    (``VERBATIM_EXAMPLES``, each linted in place of the shipped example) and where the
    feature's ``events.ts`` declares another payload than the operation's ``emits``
    (``event_payload_mismatches``; the SDK emits the operation's). Notes are printed, prefixed
    ``note:``, and fail only with ``strict``. Returns 0 or 1.

    >>> lint_contracts(["integration.sync.trigger"])  # doctest: +ELLIPSIS
    note: integration.sync.trigger v1.0.0: verbatim acceptance.examples[manual-trigger].output...
    note: integration.sync.trigger v1.0.0: event integration.sync.started v1.0.0: only ...
    1 contract checked: no findings; 2 notes (informational: --strict fails on them)
    0
    """
    contracts = [registry.get(key) for key in keys] if keys else list(registry)
    findings = 0
    notes = 0
    for contract in contracts:
        name = f"{contract.key} v{contract.version}"
        for finding in lint(contract):
            findings += 1
            print(f"{name}: {finding}")
        for note in _verbatim_notes(contract):
            notes += 1
            print(f"note: {name}: {note}")
        for mismatch in event_payload_mismatches([contract]):
            notes += 1
            print(f"note: {name}: event {str(mismatch).removeprefix(contract.key + ': ')}")
    checked = f"{len(contracts)} contract{'s' if len(contracts) != 1 else ''}"
    noted = f"{notes} note{'s' if notes != 1 else ''}"
    if findings:
        found = f"{findings} finding{'s' if findings != 1 else ''}"
        print(f"{found} in {checked}" + (f"; {noted}" if notes else ""), file=sys.stderr)
        return 1
    if strict and notes:
        print(f"{noted} in {checked} (--strict fails on notes)", file=sys.stderr)
        return 1
    tail = f"; {noted} (informational: --strict fails on them)" if notes else ""
    print(f"{checked} checked: no findings{tail}")
    return 0


# command -> (default directory, the files to generate, their pattern, the command's name)
_SURFACES: dict[str, tuple[str, Callable[[], list[GeneratedFile]], str, str]] = {
    "features": ("features", feature_files, "*.feature", FEATURES_COMMAND),
    "docs": ("docs/contracts", page_files, "*.md", DOCS_COMMAND),
}


def generate(what: str, directory: str | None, check: bool) -> int:
    """Write (or with ``check``, compare) the feature files or docs pages of every contract.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +ELLIPSIS
    ...     generate("docs", tmp, check=False) == 0 == generate("docs", tmp, check=False)
    wrote .../integration.connection.create.md
    ...
    wrote .../integration.syncRun.list.md
    unchanged .../integration.connection.create.md
    ...
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
    lint_cmd = commands.add_parser(
        "lint", help="check contracts; exit 1 on any finding (notes are informational)"
    )
    lint_cmd.add_argument("keys", nargs="*", metavar="KEY", help="contract keys (default: all)")
    lint_cmd.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on notes too (verbatim examples' defects, events.ts payload mismatches)",
    )
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
            return lint_contracts(args.keys, strict=args.strict)
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
