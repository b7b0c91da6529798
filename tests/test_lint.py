"""The contract linter: the seed's example, the shipped contracts, and each rule on its own."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from sync_sdk.cli import main
from sync_sdk.contracts import (
    CREATE_SYNC_CONFIG,
    SEED_CREATE_CONTACT_SYNC_EXAMPLE,
    TRIGGER_SYNC,
    VERBATIM_EXAMPLES,
    ContractRegistry,
    Example,
    Finding,
    OperationContract,
    Scenario,
    event_payload_mismatches,
    lint,
    registry,
)
from sync_sdk.contracts.spec import EmittedEvent

SEED = "acceptance.examples[create-contact-sync]"
INPUT_FIELDS = (
    "connectionId, direction, integrationId, name, scheduleCron, scheduleEnabled, "
    "sourceObject, targetObject"
)
OUTPUT_FIELDS = (
    "id, integrationId, connectionId, name, direction, sourceObject, targetObject, "
    "scheduleEnabled, scheduleCron, isActive, lastSyncAt, fieldMappings"
)


def with_examples(*examples: Example) -> OperationContract:
    c = CREATE_SYNC_CONFIG
    return attrs.evolve(c, acceptance=attrs.evolve(c.acceptance, examples=list(examples)))


def with_meta(**changes: Any) -> OperationContract:
    c = CREATE_SYNC_CONFIG
    return attrs.evolve(c, meta=attrs.evolve(c.meta, **changes))


def with_side_effects(**changes: Any) -> OperationContract:
    c = CREATE_SYNC_CONFIG
    return attrs.evolve(c, side_effects=attrs.evolve(c.side_effects, **changes))


def with_scenarios(*scenarios: Scenario) -> OperationContract:
    c = CREATE_SYNC_CONFIG
    return attrs.evolve(c, acceptance=attrs.evolve(c.acceptance, scenarios=list(scenarios)))


def test_seed_example_exact_findings() -> None:
    assert lint(with_examples(SEED_CREATE_CONTACT_SYNC_EXAMPLE)) == [
        Finding(
            f"{SEED}.input.sourceConnectionId",
            f"is not a field of CreateSyncConfigInput (known fields: {INPUT_FIELDS}) "
            "[unknown_field]",
        ),
        Finding(
            f"{SEED}.input.targetConnectionId",
            f"is not a field of CreateSyncConfigInput (known fields: {INPUT_FIELDS}) "
            "[unknown_field]",
        ),
        Finding(f"{SEED}.input.integrationId", "is required [required]"),
        Finding(f"{SEED}.input.connectionId", "is required [required]"),
        Finding(f"{SEED}.input.direction", "is required [required]"),
        Finding(f"{SEED}.input.sourceObject", "is required [required]"),
        Finding(f"{SEED}.input.targetObject", "is required [required]"),
        Finding(f"{SEED}.output.status", f"is not a field of SyncConfig (fields: {OUTPUT_FIELDS})"),
    ]


def test_shipped_contracts_lint_clean() -> None:
    assert len(registry) >= 1
    for contract in registry:
        assert lint(contract) == [], contract.key


def paths(contract: OperationContract) -> list[str]:
    return [f.path for f in lint(contract)]


def test_example_input_is_checked_by_the_sdk_validation() -> None:
    good = CREATE_SYNC_CONFIG.acceptance.examples[0]
    bad = attrs.evolve(
        good, input={**good.input, "name": "  ", "direction": "outbound", "scheduleCron": "x"}
    )
    assert [(f.path, f.message.rsplit(" ", 1)[-1]) for f in lint(with_examples(bad))] == [
        (f"{SEED}.input.name", "[blank]"),
        (f"{SEED}.input.direction", "[invalid_enum]"),
        (f"{SEED}.input.scheduleCron", "[invalid_cron]"),
    ]
    not_a_mapping = attrs.evolve(good, input=["a"])
    assert lint(with_examples(not_a_mapping)) == [
        Finding(f"{SEED}.input", "input must be a mapping, not list [not_a_mapping]")
    ]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("isActive", "true", "must be a boolean, not a string"),
        ("scheduleEnabled", 0, "must be a boolean, not a number"),
        ("name", None, "must be a string, not null"),
        ("direction", "outbound", "must be one of INBOUND, OUTBOUND, BIDIRECTIONAL, not a string"),
        ("lastSyncAt", "yesterday", "must be an ISO 8601 date-time string, not a string"),
        ("fieldMappings", {}, "must be a list, not an object"),
    ],
)
def test_example_output_value_types(key: str, value: object, message: str) -> None:
    good = CREATE_SYNC_CONFIG.acceptance.examples[0]
    bad = attrs.evolve(good, output={**good.output, key: value})
    assert lint(with_examples(bad)) == [Finding(f"{SEED}.output.{key}", message)]


def test_example_output_nulls_and_nested_models() -> None:
    good = CREATE_SYNC_CONFIG.acceptance.examples[0]
    fine = attrs.evolve(
        good,
        output={
            "id": "sync-1",
            "scheduleCron": None,
            "lastSyncAt": "2025-01-01T00:00:00+00:00",
            "fieldMappings": [
                {
                    "id": "m1",
                    "sourceField": "email",
                    "targetField": "email",
                    "mappingType": "DIRECT",
                    "isRequired": True,
                }
            ],
        },
    )
    assert lint(with_examples(fine)) == []  # a partial output is fine: listed keys are compared
    mapping = {"id": "m1", "sourceField": "email", "mappingType": "direct", "isRequired": 1}
    bad = attrs.evolve(good, output={"fieldMappings": [mapping]})
    assert lint(with_examples(bad)) == [
        Finding(
            f"{SEED}.output.fieldMappings[0].mappingType",
            "must be one of DIRECT, TRANSFORM, LOOKUP, CONSTANT, COMPUTED, not a string",
        ),
        Finding(f"{SEED}.output.fieldMappings[0].isRequired", "must be a boolean, not a number"),
        Finding(f"{SEED}.output.fieldMappings[0].targetField", "is required in FieldMapping"),
    ]


def test_meta_rules() -> None:
    contract = with_meta(
        key="sync create",
        version="1.0",
        kind="mutation",
        stability="done",
        owners=["example.integration-hub", "@"],
        tags=["sync", " "],
        goal="  ",
    )
    assert paths(contract) == [
        "meta.key",
        "meta.version",
        "meta.kind",
        "meta.stability",
        "meta.owners[0]",
        "meta.owners[1]",
        "meta.tags[1]",
        "meta.goal",
    ]
    assert lint(with_meta(version="1.0"))[0].message == "must be semver, such as 1.0.0; got '1.0'"
    assert paths(with_meta(owners=[])) == ["meta.owners"]


def test_policy_auth_must_be_known() -> None:
    c = attrs.evolve(
        CREATE_SYNC_CONFIG, policy=attrs.evolve(CREATE_SYNC_CONFIG.policy, auth="root")
    )
    assert lint(c) == [Finding("policy.auth", "must be one of anonymous, user, admin; got 'root'")]


def test_audit_keys_are_dotted_names_listed_once() -> None:
    # An audit key names an action, not necessarily an emitted event: integration.sync.trigger
    # audits "integration.sync.triggered" and emits "integration.sync.started"
    audit = ["integration.syncConfig.created", "integration.syncConfig.made"]
    assert lint(with_side_effects(audit=audit)) == []
    c = with_side_effects(audit=[*audit, "created", "integration.syncConfig.made"])
    assert lint(c) == [
        Finding(
            "side_effects.audit[created]",
            "must be dot-separated names, such as integration.syncConfig.created",
        ),
        Finding("side_effects.audit[integration.syncConfig.made]", "is listed twice"),
    ]


def test_every_emitted_event_has_a_payload_model_and_semver() -> None:
    event = EmittedEvent("integration.syncConfig.created", "1", "  ", dict)
    c = with_side_effects(emits=[event, event])
    assert paths(c) == [
        "side_effects.emits[integration.syncConfig.created].version",
        "side_effects.emits[integration.syncConfig.created].payload",
        "side_effects.emits[integration.syncConfig.created].when",
        "side_effects.emits[integration.syncConfig.created]",
        "side_effects.emits[integration.syncConfig.created].version",
        "side_effects.emits[integration.syncConfig.created].payload",
        "side_effects.emits[integration.syncConfig.created].when",
    ]
    assert lint(c)[1].message.startswith("has no payload model")
    assert lint(c)[3].message == "is declared twice"


def test_scenarios_need_given_when_then_of_single_lines() -> None:
    empty = Scenario(key="empty", given=[], when=["User creates sync config"], then=[])
    odd = Scenario(key="odd", given=[" "], when=["a\nb"], then=["ok"])
    clash = Scenario(key="create-contact-sync", given=["g"], when=["w"], then=["t"])
    assert lint(with_scenarios(empty, odd, clash)) == [
        Finding("acceptance.scenarios[empty].given", "must have at least one step"),
        Finding("acceptance.scenarios[empty].then", "must have at least one step"),
        Finding("acceptance.scenarios[odd].given[0]", "must not be blank"),
        Finding("acceptance.scenarios[odd].when[0]", "must be one line (a Gherkin step)"),
        Finding(
            "acceptance.examples[create-contact-sync]",
            "has the key of another scenario or example",
        ),
    ]


def test_cli_lint_exit_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint"]) == 0
    assert "no findings" in capsys.readouterr().out
    seed = with_examples(SEED_CREATE_CONTACT_SYNC_EXAMPLE)
    monkeypatch.setattr("sync_sdk.cli.registry", ContractRegistry([seed]))
    assert main(["lint"]) == 1
    out, err = capsys.readouterr()
    findings = [line for line in out.splitlines() if not line.startswith("note: ")]
    assert findings[0] == (
        "integration.syncConfig.create v1.0.0: "
        f"{SEED}.input.sourceConnectionId: is not a field of CreateSyncConfigInput "
        f"(known fields: {INPUT_FIELDS}) [unknown_field]"
    )
    assert len(findings) == 8
    assert err == "8 findings in 1 contract; 9 notes\n"
    assert main(["lint", "no.such.contract"]) == 2
    assert capsys.readouterr().err == "error: no contract no.such.contract\n"


def notes(out: str) -> list[str]:
    return [line.removeprefix("note: ") for line in out.splitlines() if line.startswith("note: ")]


def test_cli_lint_notes_each_verbatim_examples_defects(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint"]) == 0
    out = capsys.readouterr().out
    expected = []
    for contract in registry:  # in the registry's order, as lint prints them
        verbatim = VERBATIM_EXAMPLES.get(contract.key)
        if verbatim is None:  # sync_sdk's own contracts: no ContractSpec example
            continue
        swapped = attrs.evolve(
            contract, acceptance=attrs.evolve(contract.acceptance, examples=[verbatim])
        )
        expected += [f"{contract.key} v{contract.version}: verbatim {f}" for f in lint(swapped)]
    found = [note for note in notes(out) if ": verbatim " in note]
    assert found == expected
    assert len(found) == 20  # 8 + 5 + 2 + 2 + 1 + 2, as docs/contract-notes.md lists them
    assert (
        "integration.create v1.0.0: verbatim acceptance.examples[create-slack].input.slug: "
        "is required [required]"
    ) in found
    total = len(found) + len(event_payload_mismatches(registry))
    assert out.splitlines()[-1] == (
        f"{len(registry)} contracts checked: no findings; {total} notes"
        " (informational: --strict fails on them)"
    )


def test_cli_lint_notes_where_events_ts_declares_another_payload(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lint", "integration.sync.trigger"]) == 0
    found = [note for note in notes(capsys.readouterr().out) if ": event " in note]
    (mismatch,) = event_payload_mismatches([TRIGGER_SYNC])
    assert found == [
        "integration.sync.trigger v1.0.0: event integration.sync.started v1.0.0: "
        + str(mismatch).split(": ", 2)[2]
    ]
    assert "only events.ts's SyncStartedPayload has syncRunId" in found[0]
    assert main(["lint"]) == 0
    found = [note for note in notes(capsys.readouterr().out) if ": event " in note]
    assert len(found) == len(event_payload_mismatches(registry)) == 5


def test_cli_lint_strict_fails_on_notes_only_when_there_are_some(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint", "--strict"]) == 1
    out, err = capsys.readouterr()
    total = 20 + len(event_payload_mismatches(registry))
    assert len(notes(out)) == total
    assert err == f"{total} notes in {len(registry)} contracts (--strict fails on notes)\n"
    # a contract with no verbatim example and no event of events.ts has no notes
    own = with_meta(key="integration.syncConfig.copy")
    own = attrs.evolve(own, side_effects=attrs.evolve(own.side_effects, emits=[]))
    monkeypatch.setattr("sync_sdk.cli.registry", ContractRegistry([own]))
    assert main(["lint", "--strict"]) == 0
    assert capsys.readouterr().out == "1 contract checked: no findings\n"
