"""Docs pages generated from contracts, in ContractSpec's own page format, then what it leaves out.

``render_page(contract)`` starts exactly as ContractSpec's generated page does (the ``@generated``
comment, ``# key``, the description, Metadata, Goal, Context, Emitted Events, Source Definition,
here the Python source of the contract), then adds the sections ContractSpec does not show:
policy, audit, the input and output fields, the acceptance scenarios, the examples and a usage
snippet (the hub's typed method for the contract, else ``hub.execute(key, ...)``). Any contract
renders, a user's own as well as the integration hub's. ``sync-sdk docs`` writes one page per
registered contract to ``docs/contracts/<key>.md``::

    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> page = render_page(CREATE_SYNC_CONFIG)
    >>> print(page[page.index("## Metadata"):page.index("## Goal")].strip())
    ## Metadata
    <BLANKLINE>
    - Type: operation (command)
    - Version: 1.0.0
    - Stability: stable
    - Owners: @example.integration-hub
    - Tags: integration, sync, config, create
    - File: sync_sdk/contracts/sync.py

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import ast
import enum
import inspect
import json
import sys
import types
import typing
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, get_args, get_origin

import attrs
from attrs import frozen

from sync_sdk.contracts.generated import (
    GeneratedFile,
    check_generated,
    marker_line,
    write_generated,
)
from sync_sdk.contracts.gherkin import FEATURES_COMMAND, latest_by_key, scenario_steps
from sync_sdk.contracts.spec import OperationContract
from sync_sdk.models import camel_case

__all__ = [
    "DOCS_COMMAND",
    "ContractSource",
    "check_pages",
    "contract_source",
    "page_files",
    "render_page",
    "write_pages",
]

#: The command that regenerates the pages (named by the drift check).
DOCS_COMMAND = "sync-sdk docs"

_AUTH_MEANING = {
    "anonymous": "anyone may call it, without an actor",
    "user": (
        "an authenticated actor, with a user id and an org id, is required; sync_sdk enforces "
        "it and raises `AuthenticationRequired` (401) otherwise"
    ),
    "admin": (
        "an authenticated actor with the `admin` role is required; sync_sdk raises "
        "`AuthenticationRequired` (401) or `PermissionDenied` (403) otherwise"
    ),
}


@frozen
class ContractSource:
    """Where a contract is defined: its module's file (``path``, relative to the package's
    parent directory), the variable it is bound to, the source of that assignment, and the
    module's name."""

    path: str
    name: str
    text: str
    module: str = ""


def contract_source(contract: OperationContract) -> ContractSource:
    """The Python source that defines ``contract``: the assignment that builds it.

    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> source = contract_source(CREATE_SYNC_CONFIG)
    >>> source.path, source.text.splitlines()[0]
    ('sync_sdk/contracts/sync.py', 'CREATE_SYNC_CONFIG = OperationContract(')
    """
    # A contract is data, not a function: find the module that binds it to a name with an
    # assignment (other modules only import it), then take that statement's source lines.
    for module in list(sys.modules.values()):
        names = [k for k, v in list(vars(module).items()) if v is contract]
        if not names or getattr(module, "__file__", None) is None:
            continue
        try:
            source = inspect.getsource(module)
        except (OSError, TypeError):
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound = {t.id for t in targets if isinstance(t, ast.Name)}
                if bound & set(names):
                    text = ast.get_source_segment(source, node) or ""
                    name = bound.pop()
                    return ContractSource(_display_path(module), name, text, module.__name__)
    raise LookupError(f"no module defines contract {contract.key} v{contract.version}")


def _display_path(module: types.ModuleType) -> str:
    top = sys.modules.get(module.__name__.partition(".")[0], module)
    root = Path(top.__file__ or module.__file__ or "").resolve().parent
    if top is not module or Path(top.__file__ or "").name == "__init__.py":
        root = root.parent  # a package: paths start with its name (sync_sdk/contracts/sync.py)
    try:
        return Path(module.__file__ or "").resolve().relative_to(root).as_posix()
    except ValueError:  # a module outside its package's directory: name it instead
        return module.__name__


# -- field tables -------------------------------------------------------------------------------


def _type_label(annotation: Any) -> tuple[str, bool]:
    """(wire type for a table, whether null is allowed)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        labels = [_type_label(a)[0] for a in args if a is not type(None)]
        return " or ".join(labels), type(None) in args
    if origin in (tuple, list):
        return f"list of {_type_label(args[0])[0]}", False
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = ", ".join(str(m.value) for m in annotation)
        return f"`{annotation.__name__}`: {values}", False
    if annotation is Any:
        return "any JSON value", True
    names = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if annotation in names:
        return names[annotation], False
    if annotation is datetime:
        return "date-time (ISO 8601)", False
    return f"`{getattr(annotation, '__name__', annotation)}`", False


def _field_rows(model: type) -> list[tuple[str, str, bool, bool]]:
    """(wire name, type label, required, nullable) for each attribute of ``model``."""
    hints = typing.get_type_hints(model)
    rows = []
    for a in attrs.fields(model):
        label, nullable = _type_label(hints[a.name])
        rows.append((camel_case(a.name), label, a.default is attrs.NOTHING, nullable))
    return rows


def _facts(metadata: typing.Mapping[str, Any]) -> str:
    """The validation facts of an input field (see :mod:`sync_sdk.models`), in words."""
    facts = []
    if metadata.get("non_empty"):
        facts.append("not blank")
    if "min" in metadata or "max" in metadata:
        low, high = metadata.get("min"), metadata.get("max")
        facts.append(
            f"{low}..{high}"
            if low is not None and high is not None
            else f"at least {low}"
            if low is not None
            else f"at most {high}"
        )
    if metadata.get("cron"):
        facts.append("a 5-field cron expression")
    if metadata.get("secret"):
        facts.append("secret: stored encrypted, never returned")
    return f" ({'; '.join(facts)})" if facts else ""


def _input_table(model: type) -> list[str]:
    lines = ["| Field | Type | Required |", "|---|---|---|"]
    for (name, label, required, _), a in zip(_field_rows(model), attrs.fields(model), strict=True):
        facts = _facts(a.metadata)
        lines.append(f"| `{name}` | {label}{facts} | {'yes' if required else 'no'} |")
    return lines


def _output_table(model: type) -> list[str]:
    # Every output carries every field (null when unset): say which ones may be null.
    lines = ["| Field | Type | May be null |", "|---|---|---|"]
    for name, label, _, nullable in _field_rows(model):
        lines.append(f"| `{name}` | {label} | {'yes' if nullable else 'no'} |")
    return lines


# -- the page -----------------------------------------------------------------------------------


def _json_block(value: object) -> list[str]:
    return ["```json", json.dumps(value, indent=2, ensure_ascii=False), "```"]


def _hub_method(contract: OperationContract) -> str | None:
    """The typed SyncHub method that runs ``contract`` with its wire input as a mapping
    (``integration.syncConfig.create`` -> ``create_sync_config``, ``integration.syncRun.list``
    -> ``list_sync_runs``), or None when the hub has none (then
    :meth:`SyncHub.execute <sync_sdk.SyncHub.execute>` runs it)."""
    from sync_sdk.hub import SyncHub

    parts = contract.key.split(".")
    if len(parts) < 2:
        return None
    entity = "".join(f"_{c.lower()}" if c.isupper() else c for c in parts[-2])
    for name in (f"{parts[-1]}_{entity}", f"{parts[-1]}_{entity}s"):
        method = getattr(SyncHub, name, None)
        # a method of that name runs this contract when its docstring names it, and takes the
        # input as execute() does when its first parameter is the wire mapping
        if callable(method) and f"``{contract.key}``" in (method.__doc__ or ""):
            first = list(inspect.signature(method).parameters)[1:2]
            return name if first == ["data"] else None
    return None


def _python_literal(value: object) -> str:
    # JSON strings are Python strings in the house's double quotes; the rest (true, null, ...)
    # differs from JSON, so take Python's own spelling, container by container.
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = (f"{_python_literal(k)}: {_python_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_python_literal(v) for v in value) + "]"
    return repr(value)


def _secret_fields(model: type) -> list[str]:
    """The wire names of the input fields declared ``secret`` (see :mod:`sync_sdk.models`)."""
    return [camel_case(a.name) for a in attrs.fields(model) if a.metadata.get("secret")]


def _usage(contract: OperationContract, module: str | None) -> list[str]:
    """A snippet that runs the contract's first example with the SDK: its typed method, else
    ``hub.execute``; for a contract of another package, after importing the module that
    defines it (and, presumably, registers it with a handler)."""
    if not contract.acceptance.examples:
        return []
    example = contract.acceptance.examples[0]
    method = _hub_method(contract)
    call = f"hub.{method}(" if method else f"hub.execute(\n        {json.dumps(contract.key)},"
    imports = ["from sync_sdk import Actor, SyncHub"]
    if module and module.partition(".")[0] != "sync_sdk":
        imports.append(f"import {module}  # defines {contract.key}")
    secret = [name for name in _secret_fields(contract.io.input) if name in example.input]
    note = (
        [f"# {', '.join(secret)}: encrypted with $SYNC_SDK_SECRET_KEY (or SyncHub(secret_key=...))"]
        if secret
        else []
    )
    shown = "result.to_dict()" if hasattr(contract.io.output, "to_dict") else "result"
    return [
        "",
        "## Usage",
        "",
        "```python",
        *imports,
        "",
        'user = Actor(id="user-1", org_id="org-1")',
        *note,
        'with SyncHub("sqlite:///hub.db") as hub:',
        f"    result = {call}",
        "        {",
        *(
            f"            {_python_literal(key)}: {_python_literal(value)},"
            for key, value in example.input.items()
        ),
        "        },",
        "        actor=user,",
        "    )",
        f"    print({shown})",
        "```",
    ]


def _source(contract: OperationContract) -> tuple[ContractSource | None, str]:
    """The contract's source, if it is bound at the top of an importable module, and that
    module's name (its input model's module when the source cannot be found)."""
    try:
        source = contract_source(contract)
    except LookupError:
        return None, contract.io.input.__module__
    return source, source.module


def render_page(contract: OperationContract) -> str:
    """The docs page of ``contract`` (Markdown)."""
    meta = contract.meta
    source, module = _source(contract)
    where = source.path if source else module
    lines = [
        marker_line(".md", contract.key, contract.version),
        f"<!-- Do not edit: change the contract in {where}, then run `{DOCS_COMMAND}`. -->",
        f"# {meta.key}",
        "",
        meta.description,
        "",
        "## Metadata",
        "",
        f"- Type: operation ({meta.kind})",
        f"- Version: {meta.version}",
        f"- Stability: {meta.stability}",
        f"- Owners: {', '.join(meta.owners)}",
        f"- Tags: {', '.join(meta.tags)}",
        f"- File: {where}",
        "",
        "## Goal",
        "",
        meta.goal,
        "",
        "## Context",
        "",
        meta.context,
        "",
        "## Emitted Events",
        "",
        *(f"`{e.key}` (v{e.version})" for e in contract.side_effects.emits),
        *([] if contract.side_effects.emits else ["None."]),
        "",
        "## Source Definition",
        "",
        *(
            [f"Ported from ContractSpec's `{contract.source_file}`.", ""]
            if contract.source_file
            else []
        ),
        *(
            ["```python", source.text, "```"]
            if source
            else [f"Not shown: `{contract.key}` is not bound to a name in an importable module."]
        ),
        "",
        "## Policy",
        "",
        f"- Auth: `{contract.policy.auth}`: {_AUTH_MEANING.get(contract.policy.auth, '')}",
        "",
        "## Audit",
        "",
        *(
            [
                "Written in the same transaction as the change:",
                "",
                *(f"- `{key}`" for key in contract.side_effects.audit),
            ]
            if contract.side_effects.audit
            else ["None."]
        ),
        "",
        f"## Input: `{contract.io.input.__name__}`",
        "",
        *_input_table(contract.io.input),
        "",
        f"## Output: `{contract.io.output.__name__}`",
        "",
        *_output_table(contract.io.output),
        "",
        "## Acceptance Scenarios",
        "",
        f"Run by pytest as `features/{meta.key}.feature` (generated by `{FEATURES_COMMAND}`).",
    ]
    for scenario in contract.acceptance.scenarios:
        lines += ["", f"### {scenario.key}", "", "```gherkin", *scenario_steps(scenario), "```"]
    lines += ["", "## Examples"]
    for example in contract.acceptance.examples:
        lines += ["", f"### {example.key}", "", "Input:", "", *_json_block(example.input)]
        lines += ["", "Output:", "", *_json_block(example.output)]
    lines += _usage(contract, module)
    return "\n".join(lines) + "\n"


def page_files(contracts: Iterable[OperationContract] | None = None) -> list[GeneratedFile]:
    """One ``<key>.md`` per contract key (default: every registered contract; the highest
    version of a key).

    >>> from sync_sdk.contracts import registry
    >>> [f.name for f in page_files()][:3]
    ['integration.connection.create.md', 'integration.create.md', 'integration.fieldMapping.add.md']
    >>> len(page_files()) == len(registry)
    True

    A contract of yours gets its page the same way (``page_files([MY_CONTRACT])``): nothing here
    is particular to the integration hub's contracts.
    """
    return [GeneratedFile(f"{c.key}.md", render_page(c)) for c in latest_by_key(contracts)]


def write_pages(
    directory: str | Path = "docs/contracts",
    contracts: Iterable[OperationContract] | None = None,
) -> list[Path]:
    """Write the page of each contract into ``directory``; returns the paths.

    >>> import tempfile
    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_pages(tmp, [CREATE_SYNC_CONFIG])]
    ['integration.syncConfig.create.md']
    """
    return write_generated(page_files(contracts), directory, "*.md")


def check_pages(
    directory: str | Path = "docs/contracts",
    contracts: Iterable[OperationContract] | None = None,
) -> list[str]:
    """Why the pages in ``directory`` are out of date (``[]`` when they are not).

    >>> check_pages("/nonexistent")[0]
    'integration.connection.create.md is missing: run `sync-sdk docs` to generate it'
    """
    return check_generated(page_files(contracts), directory, "*.md", DOCS_COMMAND)
