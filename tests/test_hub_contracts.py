"""The six integration-hub contracts, their models and the feature's events, against the
vendored TypeScript sources: every value ported, every departure named.

The TypeScript is read from ``contracts/source/`` (kept verbatim) with a few regular expressions,
enough for ContractSpec's literal style: single-quoted strings, bare keys, no computed values.
"""

from __future__ import annotations

import json
import re
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_sdk import ValidationError, models
from sync_sdk.contracts import (
    ADD_FIELD_MAPPING,
    CREATE_CONNECTION,
    CREATE_INTEGRATION,
    CREATE_SYNC_CONFIG,
    FEATURE_EVENTS,
    HUB_CONTRACTS,
    LIST_SYNC_RUNS,
    TRIGGER_SYNC,
    VERBATIM_EXAMPLES,
    Example,
    OperationContract,
    event_payload_mismatches,
    lint,
)
from sync_sdk.contracts.events import unemitted_events
from sync_sdk.models import (
    Connection,
    CreateConnectionInput,
    FieldMapping,
    MappingType,
    SyncConfig,
    SyncDirection,
    camel_case,
)
from sync_sdk.validation import validate_create_input

HUB = (
    Path(__file__).resolve().parents[1]
    / "contracts"
    / "source"
    / "contractspec"
    / "integration-hub"
)
OPERATIONS = {
    "integration.create": "integration/integration.operations.ts",
    "integration.connection.create": "connection/connection.operation.ts",
    "integration.syncConfig.create": "sync/sync.operations.ts",
    "integration.fieldMapping.add": "sync/sync.operations.ts",
    "integration.sync.trigger": "sync/sync.operations.ts",
    "integration.syncRun.list": "sync/sync.operations.ts",
}
SCHEMAS = (
    "integration/integration.schema.ts",
    "connection/connection.schema.ts",
    "sync/sync.schema.ts",
)
ENUMS = ("integration/integration.enum.ts", "connection/connection.enum.ts", "sync/sync.enum.ts")
BY_KEY = {c.key: c for c in HUB_CONTRACTS}


# -- reading ContractSpec's literals ------------------------------------------------------------


def quoted(text: str) -> list[str]:
    """The single-quoted strings of a TypeScript fragment, in order."""
    return re.findall(r"'([^']*)'", text)


def ts_literal(text: str) -> Any:
    """A TypeScript object literal of plain values as Python data."""

    def to_json(match: re.Match[str]) -> str:
        if match[1] is not None:
            return json.dumps(match[1])
        return json.dumps(match[2]) + ":"

    text = re.sub(r"'([^']*)'|\b([A-Za-z_]\w*)\s*:", to_json, text)
    text = re.sub(r",(\s*[}\]])", r"\1", text)  # trailing commas
    return json.loads(text)


def balanced(text: str, start: int) -> str:
    """The bracketed text that opens at ``text[start]`` (``{`` or ``[``), brackets included."""
    pairs = {"{": "}", "[": "]"}
    stack = []
    for i in range(start, len(text)):
        char = text[i]
        if char == "'":
            continue
        if char in pairs:
            stack.append(pairs[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return text[start : i + 1]
    raise ValueError("unbalanced")


def member(block: str, name: str) -> str:
    """The bracketed value of ``name: {...}`` or ``name: [...]`` in ``block``."""
    match = re.search(rf"\b{name}: ([{{\[])", block)
    assert match is not None, name
    return balanced(block, match.start(1))


def string_member(block: str, name: str) -> str:
    match = re.search(rf"\b{name}: '([^']*)'", block)
    assert match is not None, name
    return match[1]


def ts_contract(key: str) -> dict[str, Any]:
    """The contract whose meta key is ``key``, read from its vendored operations file."""
    source = (HUB / OPERATIONS[key]).read_text()
    for match in re.finditer(r"export const (\w+) = define(Command|Query)\(", source):
        block = balanced(source, match.end())
        meta = member(block, "meta")
        if string_member(meta, "key") != key:
            continue
        owners = member(meta, "owners")
        if owners == "[...OWNERS]":
            owners_const = re.search(r"const OWNERS = (\[[^\]]*\]) as const;", source)
            assert owners_const is not None
            owners = owners_const[1]
        io = re.search(r"io: \{ input: (\w+), output: (\w+) \}", block)
        assert io is not None
        side = re.search(r"\bsideEffects: \{", block)
        emits, audit = [], []
        if side is not None:
            effects = balanced(block, side.end() - 1)
            emits = re.findall(
                r"key: '([^']*)',\s*version: '([^']*)',\s*when: '([^']*)',\s*payload: (\w+)",
                effects,
            )
            if "audit:" in effects:
                audit = quoted(member(effects, "audit"))
        acceptance = member(block, "acceptance")
        scenarios = []
        for scenario in re.finditer(
            r"\{\s*key: '([^']*)',\s*given:", member(acceptance, "scenarios")
        ):
            body = balanced(member(acceptance, "scenarios"), scenario.start())
            scenarios.append(
                (
                    scenario[1],
                    *(tuple(quoted(member(body, part))) for part in ("given", "when", "then")),
                )
            )
        examples = []
        for example in re.finditer(
            r"\{\s*key: '([^']*)',\s*input:", member(acceptance, "examples")
        ):
            body = balanced(member(acceptance, "examples"), example.start())
            examples.append(
                Example(
                    example[1],
                    ts_literal(member(body, "input")),
                    ts_literal(member(body, "output")),
                )
            )
        return {
            "name": match[1],
            "kind": match[2].lower(),
            "meta": {
                name: string_member(meta, name)
                for name in ("key", "version", "stability", "description", "goal", "context")
            }
            | {"owners": tuple(quoted(owners)), "tags": tuple(quoted(member(meta, "tags")))},
            "auth": re.search(r"policy: \{ auth: '(\w+)' \}", block)[1],  # type: ignore[index]
            "io": (io[1], io[2]),
            "emits": [(k, v, w, p) for k, v, w, p in emits],
            "audit": tuple(audit),
            "scenarios": scenarios,
            "examples": examples,
        }
    raise LookupError(key)


FIELD = re.compile(
    r"(\w+): \{\s*type: (?:ScalarTypeEnum\.(\w+)\(\)|(\w+)),\s*(isArray: true,\s*)?"
    r"isOptional: (true|false),?\s*(?:defaultValue: ([^,\s]+),?\s*)?\}"
)


def ts_models(text: str) -> dict[str, dict[str, Any]]:
    """Each ``defineSchemaModel`` of a TypeScript text by its variable name: its ``name``,
    ``description`` (or None) and fields as {wire name: (type, is array, optional, default)}."""
    found = {}
    for match in re.finditer(r"const (\w+) = defineSchemaModel\(", text):
        block = balanced(text, match.end())
        description = re.search(r"^\t(?:description): '([^']*)'", block, re.M)
        found[match[1]] = {
            "name": string_member(block, "name"),
            "description": description[1] if description else None,
            "fields": {
                f[1]: (f[2] or f[3], bool(f[4]), f[5] == "true", f[6])
                for f in FIELD.finditer(member(block, "fields"))
            },
        }
        # every field of the block was read
        assert len(found[match[1]]["fields"]) == member(block, "fields").count("isOptional:"), (
            match[1]
        )
    return found


def all_ts_models() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name in SCHEMAS:
        found |= ts_models((HUB / name).read_text())
    return found


def ts_enums(*, by_variable: bool = False) -> dict[str, list[str]]:
    """Each ``defineEnum``'s values by its name (or by the variable it is bound to)."""
    found = {}
    for name in ENUMS:
        text = (HUB / name).read_text()
        pattern = r"export const (\w+) = defineEnum\('(\w+)', (\[[^\]]*\])\)"
        for match in re.finditer(pattern, text):
            found[match[1] if by_variable else match[2]] = quoted(match[3])
    return found


def ts_enum_name(variable: str) -> str:
    source = "".join((HUB / name).read_text() for name in ENUMS)
    match = re.search(rf"export const {variable} = defineEnum\('(\w+)'", source)
    assert match is not None, variable
    return match[1]


def python_model(ts_model: str) -> type:
    """The sync_sdk model of a TypeScript schema model: its ``name``, without ``Model``."""
    name = all_ts_models()[ts_model]["name"].removesuffix("Model")
    model = getattr(models, name)
    assert isinstance(model, type)
    return model


# -- the contracts ------------------------------------------------------------------------------


def test_hub_contracts_are_the_features_six_operations() -> None:
    feature = (HUB / "integration-hub.feature.ts").read_text()
    operations = re.findall(
        r"\{ key: '([^']*)', version: '([^']*)' \}", member(feature, "operations")
    )
    assert sorted((c.key, c.version) for c in HUB_CONTRACTS) == sorted(operations)
    assert HUB_CONTRACTS[0] is CREATE_SYNC_CONFIG
    assert [c.key for c in HUB_CONTRACTS[1:]] == [
        k for k, _ in operations if k != CREATE_SYNC_CONFIG.key
    ]


@pytest.mark.parametrize("key", list(OPERATIONS))
def test_every_value_is_the_typescript_sources(key: str) -> None:
    ts, contract = ts_contract(key), BY_KEY[key]
    meta = contract.meta
    assert {
        "key": meta.key,
        "version": meta.version,
        "stability": meta.stability,
        "description": meta.description,
        "goal": meta.goal,
        "context": meta.context,
        "owners": meta.owners,
        "tags": meta.tags,
    } == ts["meta"]
    assert meta.kind == ts["kind"]
    assert contract.policy.auth == ts["auth"]
    assert (contract.io.input, contract.io.output) == tuple(python_model(m) for m in ts["io"])
    assert [(e.key, e.version, e.when, e.payload) for e in contract.side_effects.emits] == [
        (k, v, w, python_model(p)) for k, v, w, p in ts["emits"]
    ]
    assert contract.side_effects.audit == ts["audit"]
    assert [(s.key, s.given, s.when, s.then) for s in contract.acceptance.scenarios] == ts[
        "scenarios"
    ]
    # the shipped example has the verbatim one's key; the verbatim one is kept as it was written
    assert [e.key for e in contract.acceptance.examples] == [e.key for e in ts["examples"]]
    assert [VERBATIM_EXAMPLES[key]] == ts["examples"]
    folder = OPERATIONS[key].split("/")[0]
    assert contract.source_file == f"packages/examples/integration-hub/src/{OPERATIONS[key]}"
    assert contract.source_file.endswith(f"/{folder}/{Path(OPERATIONS[key]).name}")


def test_the_typescript_reader_reads_what_it_should() -> None:
    # A guard on the regular expressions above: one contract's values, spelled out
    ts = ts_contract("integration.sync.trigger")
    assert ts["meta"]["context"] == "Manual sync or webhook trigger."
    assert ts["emits"] == [("integration.sync.started", "1.0.0", "Sync starts", "SyncRunModel")]
    assert ts["audit"] == ("integration.sync.triggered",)
    assert ts["scenarios"] == [
        (
            "trigger-sync-happy-path",
            ("Sync config exists",),
            ("User triggers sync",),
            ("Sync run starts", "SyncStarted event is emitted"),
        )
    ]
    assert ts["examples"] == [
        Example(
            "manual-trigger", {"syncConfigId": "sync-123"}, {"id": "run-789", "status": "pending"}
        )
    ]
    assert ts_contract("integration.syncRun.list")["audit"] == ()
    assert ts_contract("integration.create")["meta"]["owners"] == ("@example.integration-hub",)


@pytest.mark.parametrize("contract", HUB_CONTRACTS, ids=lambda c: c.key)
def test_shipped_contracts_lint_clean(contract: OperationContract) -> None:
    assert lint(contract) == []


def with_example(contract: OperationContract, example: Example) -> OperationContract:
    return attrs.evolve(contract, acceptance=attrs.evolve(contract.acceptance, examples=[example]))


# The defects of each verbatim example (CONTRACTSPEC.md section 6 lists all but integration.create's
# lowercase 'active', the same defect as the others' lowercase statuses).
VERBATIM_DEFECTS = {
    "integration.syncConfig.create": [
        "input.sourceConnectionId",
        "input.targetConnectionId",
        "input.integrationId",
        "input.connectionId",
        "input.direction",
        "input.sourceObject",
        "input.targetObject",
        "output.status",
    ],
    "integration.create": [
        "input.category",
        "input.authType",
        "input.slug",
        "input.provider",
        "output.status",
    ],
    "integration.connection.create": ["input.authType", "output.status"],
    "integration.fieldMapping.add": ["input.mappingType", "output.type"],
    "integration.sync.trigger": ["output.status"],
    "integration.syncRun.list": ["input.syncConfigId", "output.items"],
}


@pytest.mark.parametrize("contract", HUB_CONTRACTS, ids=lambda c: c.key)
def test_verbatim_examples_exact_defects(contract: OperationContract) -> None:
    example = VERBATIM_EXAMPLES[contract.key]
    findings = lint(with_example(contract, example))
    prefix = f"acceptance.examples[{example.key}]."
    assert [f.path.removeprefix(prefix) for f in findings] == VERBATIM_DEFECTS[contract.key]
    assert all(f.path.startswith(prefix) for f in findings)


def test_verbatim_defects_say_what_is_wrong() -> None:
    messages = {
        f.path.rpartition("].")[2]: f.message
        for key in (
            "integration.create",
            "integration.connection.create",
            "integration.syncRun.list",
        )
        for f in lint(with_example(BY_KEY[key], VERBATIM_EXAMPLES[key]))
    }
    assert messages["input.category"].startswith("is not a field of CreateIntegrationInput")
    assert messages["input.authType"] == "is required [required]"  # the connection's, last
    assert messages["output.status"] == (
        "must be one of PENDING, CONNECTED, DISCONNECTED, ERROR, EXPIRED, not a string"
    )
    assert messages["output.items"] == "is not a field of ListSyncRunsOutput (fields: runs, total)"


# The verbatim values that the shipped examples change: lowercase statuses become the enums'
# members (a new connection is PENDING, not yet connected), and a first page of no run has a
# total of 0, not 50.
CHANGED = {
    ("integration.create", "output"): {"status"},
    ("integration.connection.create", "output"): {"status"},
    ("integration.sync.trigger", "output"): {"status"},
    ("integration.syncRun.list", "output"): {"total"},
}


def test_conforming_examples_keep_the_verbatim_values_that_fit() -> None:
    for contract in HUB_CONTRACTS:
        (shipped,) = contract.acceptance.examples
        verbatim = VERBATIM_EXAMPLES[contract.key]
        for side in ("input", "output"):
            kept = {k: v for k, v in getattr(verbatim, side).items() if k in getattr(shipped, side)}
            differs = {k for k, v in kept.items() if getattr(shipped, side)[k] != v}
            assert differs == CHANGED.get((contract.key, side), set()), (contract.key, side)
    # the verbatim create-slack's stray keys are kept in its config; the list's 10 stays
    assert CREATE_INTEGRATION.acceptance.examples[0].input["config"] == {
        "category": "communication",
        "authType": "oauth2",
    }
    assert LIST_SYNC_RUNS.acceptance.examples[0].input["limit"] == 10


# -- the models ---------------------------------------------------------------------------------

SCALARS: dict[str, Any] = {
    "String_unsecure": str,
    "NonEmptyString": str,
    "Boolean": bool,
    "Int_unsecure": int,
    "DateTime": datetime,
    "JSON": Any,
}

# Where a model departs from its TypeScript schema, on purpose (readme-port.md says why):
# (model, wire field): what differs
DEPARTURES = {
    # FieldMapping carries the add input's three JSON fields, after its own (stored data loads)
    ("FieldMapping", "lookupConfig"): "extra",
    ("FieldMapping", "constantValue"): "extra",
    ("FieldMapping", "defaultValue"): "extra",
    # required in the schema, defaulted in the SDK since 0.1.0
    ("SyncConfig", "scheduleEnabled"): "default",
    ("SyncConfig", "isActive"): "default",
    # optional booleans of inputs: omitted means False
    ("CreateSyncConfigInput", "scheduleEnabled"): "default",
    ("AddFieldMappingInput", "isRequired"): "default",
    ("TriggerSyncInput", "fullSync"): "default",
    # ids the SDK refuses blank, as it always has
    ("CreateSyncConfigInput", "integrationId"): "non_empty",
    ("CreateSyncConfigInput", "connectionId"): "non_empty",
    ("CreateConnectionInput", "integrationId"): "non_empty",
    ("AddFieldMappingInput", "syncConfigId"): "non_empty",
    ("TriggerSyncInput", "syncConfigId"): "non_empty",
    ("ListSyncRunsInput", "syncConfigId"): "non_empty",
    # and the cron expression, checked as cron
    ("CreateSyncConfigInput", "scheduleCron"): "non_empty",
    # bounds the schema does not state
    ("ListSyncRunsInput", "limit"): "bounds",
    ("ListSyncRunsInput", "offset"): "bounds",
}
INPUTS = {
    "CreateIntegrationInput",
    "CreateConnectionInput",
    "CreateSyncConfigInput",
    "AddFieldMappingInput",
    "TriggerSyncInput",
    "ListSyncRunsInput",
}


def model_departures(ts: dict[str, Any], model: type) -> dict[tuple[str, str], str]:
    """How ``model`` differs from the TypeScript schema ``ts``, as in ``DEPARTURES``."""
    name = model.__name__
    hints = typing.get_type_hints(model)
    ours = {camel_case(a.name): a for a in attrs.fields(model)}
    found: dict[tuple[str, str], str] = {}
    assert set(ts["fields"]) <= set(ours), (name, set(ts["fields"]) - set(ours))
    for wire in set(ours) - set(ts["fields"]):
        found[(name, wire)] = "extra"
    for wire, (kind, is_array, optional, default) in ts["fields"].items():
        attribute = ours[wire]
        annotation = hints[attribute.name]
        args = typing.get_args(annotation)
        nullable = type(None) in args
        base = next(a for a in args if a is not type(None)) if nullable else annotation
        if is_array:
            assert typing.get_origin(base) is tuple, (name, wire)
            assert typing.get_args(base)[0] is python_model(kind), (name, wire)
        elif kind in SCALARS:
            assert base is SCALARS[kind], (name, wire, base)
        else:  # an enum: the model of its defineEnum name, with its values
            assert base is getattr(models, ts_enum_name(kind)), (name, wire)
            assert [m.value for m in base] == ts_enums(by_variable=True)[kind]
        has_default = attribute.default is not attrs.NOTHING
        facts = dict(attribute.metadata)
        if default is not None:
            assert attribute.default == json.loads(default), (name, wire)
        elif optional:
            # optional: omittable, as None (a list: empty); a boolean defaulting to False departs
            assert has_default, (name, wire)
            if attribute.default != (() if is_array else None):
                found[(name, wire)] = "default"
        elif has_default:
            found[(name, wire)] = "default"
        if name in INPUTS:
            assert facts.pop("json", False) == (kind == "JSON"), (name, wire)
            non_empty = facts.pop("non_empty", False)
            if non_empty != (kind == "NonEmptyString"):
                assert kind == "String_unsecure" and non_empty, (name, wire)
                found[(name, wire)] = "non_empty"
            facts.pop("cron", None)
            facts.pop("secret", None)
            if {"min", "max"} & set(facts):
                found[(name, wire)] = "bounds"
        else:
            assert facts == {}, (name, wire)
    return found


def test_models_are_the_typescript_schemas_with_named_departures() -> None:
    found: dict[tuple[str, str], str] = {}
    schemas = all_ts_models()
    assert len(schemas) == 12
    for ts in schemas.values():
        found |= model_departures(ts, getattr(models, ts["name"].removesuffix("Model")))
    assert found == DEPARTURES


def test_enums_are_the_typescript_enums() -> None:
    enums = ts_enums()
    assert set(enums) == {
        "IntegrationStatus",
        "ConnectionStatus",
        "AuthType",
        "TransportType",
        "SyncDirection",
        "SyncStatus",
        "MappingType",
    }
    for name, values in enums.items():
        enum_type = getattr(models, name)
        assert [m.value for m in enum_type] == values
        assert all(isinstance(m, str) for m in enum_type)


def test_validation_facts_use_one_vocabulary() -> None:
    vocabulary = {"non_empty", "json", "min", "max", "cron", "secret"}
    for name in models.__all__:
        model = getattr(models, name)
        if attrs.has(model):
            for attribute in attrs.fields(model):
                assert set(attribute.metadata) <= vocabulary, (name, attribute.name)
    facts = {a.name: dict(a.metadata) for a in attrs.fields(models.ListSyncRunsInput)}
    assert facts == {
        "sync_config_id": {"non_empty": True},
        "status": {},
        "limit": {"min": 1, "max": 100},
        "offset": {"min": 0},
    }
    assert dict(attrs.fields_dict(CreateConnectionInput)["credentials"].metadata) == {
        "json": True,
        "secret": True,
    }


def test_create_inputs_facts_agree_with_its_validator() -> None:
    # The declarative facts of CreateSyncConfigInput say what today's validator does
    valid = {
        "integrationId": "int-1",
        "connectionId": "conn-1",
        "name": "Contacts Sync",
        "direction": "OUTBOUND",
        "sourceObject": "contacts",
        "targetObject": "contacts",
        "scheduleEnabled": True,
        "scheduleCron": "@daily",
    }
    for attribute in attrs.fields(models.CreateSyncConfigInput):
        wire = camel_case(attribute.name)
        for fact, bad, code in (
            ("non_empty", " ", "blank"),
            ("cron", "0 0 * * * ?", "invalid_cron"),
        ):
            try:
                validate_create_input({**valid, wire: bad})
                codes = set()
            except ValidationError as err:
                codes = {(i.path, i.code) for i in err.issues}
            assert ((wire, code) in codes) == bool(attribute.metadata.get(fact)), (wire, fact)


def test_defaults_and_wire_names() -> None:
    listing = models.ListSyncRunsInput(sync_config_id="sync_1")
    assert listing.to_dict() == {"syncConfigId": "sync_1", "status": None, "limit": 20, "offset": 0}
    mapping = models.AddFieldMappingInput(
        sync_config_id="sync_1", source_field="a", target_field="b", mapping_type=MappingType.DIRECT
    )
    assert mapping.is_required is False
    assert list(mapping.to_dict()) == [
        "syncConfigId",
        "sourceField",
        "targetField",
        "mappingType",
        "transformExpression",
        "lookupConfig",
        "constantValue",
        "isRequired",
        "defaultValue",
    ]
    run = models.SyncRun(
        id="run_1",
        sync_config_id="sync_1",
        status=models.SyncStatus.PENDING,
        direction=SyncDirection.INBOUND,
        trigger="manual",
        records_processed=0,
        records_created=0,
        records_updated=0,
        records_failed=0,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    page = models.ListSyncRunsOutput(runs=(run,), total=1)
    assert page.to_dict()["runs"][0]["createdAt"] == "2025-01-01T00:00:00+00:00"
    assert models.ListSyncRunsOutput.from_dict(page.to_dict()) == page
    with pytest.raises(TypeError):
        models.SyncRun("run_1")  # type: ignore[misc]  # keyword-only: the schema's order stays


def test_credentials_never_in_an_output_model_or_a_repr() -> None:
    assert "credentials" not in attrs.fields_dict(Connection)
    for contract in HUB_CONTRACTS:
        for model in (contract.io.output, *(e.payload for e in contract.side_effects.emits)):
            assert "credentials" not in attrs.fields_dict(model), model
    given_input = CreateConnectionInput(
        integration_id="int-1", name="Prod", auth_type="oauth2", credentials={"secret": "s3cr3t"}
    )
    assert "s3cr3t" not in repr(given_input)
    assert "credentials" not in repr(given_input)


def test_field_mappings_stored_before_still_load() -> None:
    stored = {
        "id": "m1",
        "sourceField": "email",
        "targetField": "email",
        "mappingType": "DIRECT",
        "isRequired": True,
        "transformExpression": None,
    }
    mapping = models.converter().structure(stored, FieldMapping)
    assert (mapping.lookup_config, mapping.constant_value, mapping.default_value) == (
        None,
        None,
        None,
    )
    assert [a.name for a in attrs.fields(FieldMapping)][:6] == [
        "id",
        "source_field",
        "target_field",
        "mapping_type",
        "is_required",
        "transform_expression",
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
mappings = st.builds(
    FieldMapping,
    id=st.text(max_size=8),
    source_field=st.text(max_size=8),
    target_field=st.text(max_size=8),
    mapping_type=st.sampled_from(MappingType),
    is_required=st.booleans(),
    transform_expression=st.none() | st.text(max_size=8),
    lookup_config=json_values,
    constant_value=json_values,
    default_value=json_values,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(mappings, max_size=3))
def test_to_json_stays_json_dumps_with_mapping_json_values(found: list[FieldMapping]) -> None:
    config = SyncConfig(
        "sync_1", "i", "c", "n", SyncDirection.INBOUND, "a", "b", field_mappings=tuple(found)
    )
    assert config.to_json() == json.dumps(config.to_dict(), separators=(",", ":"))
    assert SyncConfig.from_dict(json.loads(config.to_json())) == config


# -- the linter checks inputs with the models' compiled validators --------------------------------


@pytest.mark.parametrize(
    ("contract", "change", "path", "message"),
    [
        (LIST_SYNC_RUNS, {"limit": 0}, "limit", "must be at least 1 [out_of_range]"),
        (LIST_SYNC_RUNS, {"limit": 101}, "limit", "must be at most 100 [out_of_range]"),
        (LIST_SYNC_RUNS, {"offset": -1}, "offset", "must be at least 0 [out_of_range]"),
        (LIST_SYNC_RUNS, {"limit": 10.0}, "limit", "must be an integer, not float [invalid_type]"),
        (
            LIST_SYNC_RUNS,
            {"status": "done"},
            "status",
            "must be one of PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, got 'done' "
            "[invalid_enum]",
        ),
        (CREATE_INTEGRATION, {"slug": "  "}, "slug", "must not be blank [blank]"),
        (
            CREATE_INTEGRATION,
            {"config": {1: "x"}},
            "config",
            "keys must be strings, not int [invalid_type]",
        ),
        (
            CREATE_CONNECTION,
            {"credentials": float("inf")},
            "credentials",
            "must be finite, not NaN or inf [invalid_number]",
        ),
        (
            CREATE_CONNECTION,
            {"transport": "REST"},
            "transport",
            "must be one of rest, mcp, webhook, sdk, got 'REST' [invalid_enum]",
        ),
        (
            ADD_FIELD_MAPPING,
            {"isRequired": "yes"},
            "isRequired",
            "must be a boolean, not str [invalid_type]",
        ),
        (TRIGGER_SYNC, {"syncConfigId": ""}, "syncConfigId", "must not be blank [blank]"),
    ],
)
def test_linter_checks_inputs_by_their_declared_facts(
    contract: OperationContract, change: dict[str, Any], path: str, message: str
) -> None:
    (good,) = contract.acceptance.examples
    findings = lint(with_example(contract, attrs.evolve(good, input={**good.input, **change})))
    assert [(f.path, f.message) for f in findings] == [
        (f"acceptance.examples[{good.key}].input.{path}", message)
    ]


def test_linter_takes_null_as_absent_in_inputs() -> None:
    (good,) = ADD_FIELD_MAPPING.acceptance.examples
    fine = attrs.evolve(good, input={**good.input, "isRequired": None, "lookupConfig": None})
    assert lint(with_example(ADD_FIELD_MAPPING, fine)) == []
    missing = attrs.evolve(good, input={**good.input, "sourceField": None})
    assert [f.message for f in lint(with_example(ADD_FIELD_MAPPING, missing))] == [
        "is required [required]"
    ]


# -- events.ts ----------------------------------------------------------------------------------


def ts_events() -> list[dict[str, Any]]:
    text = (HUB / "events.ts").read_text()
    payloads = ts_models(text)
    found = []
    for match in re.finditer(r"export const (\w+) = defineEvent\(", text):
        block = balanced(text, match.end())
        meta = member(block, "meta")
        payload = re.search(r"payload: (\w+),", block)
        assert payload is not None
        model = payloads[payload[1]]
        found.append(
            {
                name: string_member(meta, name)
                for name in ("key", "version", "description", "stability")
            }
            | {
                "owners": tuple(quoted(member(meta, "owners"))),
                "tags": tuple(quoted(member(meta, "tags"))),
                "payload_name": model["name"],
                "payload_description": model["description"],
                "payload": [
                    (wire, kind, optional)
                    for wire, (kind, _, optional, _) in model["fields"].items()
                ],
            }
        )
    return found


def test_feature_events_are_events_ts() -> None:
    ported = [
        attrs.asdict(event, recurse=False)
        | {"payload": [(f.name, f.type, f.optional) for f in event.payload]}
        for event in FEATURE_EVENTS
    ]
    assert ported == ts_events()
    feature = (HUB / "integration-hub.feature.ts").read_text()
    listed = re.findall(r"\{ key: '([^']*)', version: '([^']*)' \}", member(feature, "events"))
    assert [(e.key, e.version) for e in FEATURE_EVENTS] == listed


def test_events_ts_payloads_differ_from_the_operations_emits() -> None:
    found = {
        (m.operation, m.event, m.version, m.declared_by, m.emitted_by): (
            [f.name for f in m.only_declared],
            [f.name for f in m.only_emitted],
            [(a.name, str(a), str(b)) for a, b in m.different],
        )
        for m in event_payload_mismatches(HUB_CONTRACTS)
    }
    assert found == {
        (
            "integration.syncConfig.create",
            "integration.syncConfig.created",
            "1.0.0",
            "SyncConfigCreatedPayload",
            "SyncConfig",
        ): (
            ["syncConfigId", "createdAt"],
            [
                "id",
                "integrationId",
                "name",
                "direction",
                "sourceObject",
                "targetObject",
                "scheduleEnabled",
                "scheduleCron",
                "isActive",
                "lastSyncAt",
                "fieldMappings",
            ],
            [],
        ),
        (
            "integration.create",
            "integration.created",
            "1.0.0",
            "IntegrationCreatedPayload",
            "Integration",
        ): (
            ["integrationId", "type"],
            ["id", "name", "slug", "description", "provider", "status"],
            [],
        ),
        (
            "integration.connection.create",
            "integration.connection.created",
            "1.0.0",
            "ConnectionCreatedPayload",
            "Connection",
        ): (
            ["connectionId", "createdAt"],
            [
                "id",
                "name",
                "authType",
                "externalAccountName",
                "connectedAt",
                "lastHealthCheck",
                "healthStatus",
                "transport",
                "authMethod",
                "apiVersion",
                "ownershipMode",
            ],
            [("status", "String_unsecure", "ConnectionStatus")],
        ),
        (
            "integration.fieldMapping.add",
            "integration.fieldMapping.added",
            "1.0.0",
            "FieldMappingAddedPayload",
            "FieldMapping",
        ): (
            ["syncConfigId"],
            [
                "id",
                "mappingType",
                "isRequired",
                "transformExpression",
                "lookupConfig",
                "constantValue",
                "defaultValue",
            ],
            [],
        ),
        (
            "integration.sync.trigger",
            "integration.sync.started",
            "1.0.0",
            "SyncStartedPayload",
            "SyncRun",
        ): (
            ["syncRunId"],
            [
                "id",
                "status",
                "direction",
                "trigger",
                "recordsProcessed",
                "recordsCreated",
                "recordsUpdated",
                "recordsFailed",
                "errorMessage",
                "completedAt",
                "createdAt",
            ],
            [("startedAt", "DateTime", "DateTime?")],
        ),
    }


def test_payload_checker_finds_nothing_where_payloads_agree() -> None:
    # The checker is not vacuous the other way: an events.ts payload equal to the operation's
    from sync_sdk.contracts.events import EventDefinition, model_payload_fields

    same = attrs.evolve(FEATURE_EVENTS[4], payload=model_payload_fields(models.SyncRun))
    assert same.key == TRIGGER_SYNC.side_effects.emits[0].key
    assert event_payload_mismatches([TRIGGER_SYNC], [same]) == []
    other_version = attrs.evolve(FEATURE_EVENTS[4], version="2.0.0")
    assert event_payload_mismatches([TRIGGER_SYNC], [other_version]) == []
    assert isinstance(same, EventDefinition)


def test_four_events_have_no_operation() -> None:
    assert [e.key for e in unemitted_events(HUB_CONTRACTS)] == [
        "integration.connection.statusChanged",
        "integration.sync.completed",
        "integration.sync.failed",
        "integration.record.synced",
    ]
