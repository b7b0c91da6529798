"""The integration hub's operations through SyncHub, on every backend: what each returns and
stores, how it refuses bad input, other orgs and unauthenticated callers, and what it audits,
emits and replays."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from sync_sdk import (
    Actor,
    AuthenticationRequired,
    Conflict,
    Connection,
    ConnectionStatus,
    FieldMapping,
    Integration,
    IntegrationStatus,
    MappingType,
    NotFound,
    Page,
    SyncDirection,
    SyncHub,
    SyncRun,
    SyncStatus,
    ValidationError,
    signals,
)
from sync_sdk.contracts import (
    ADD_FIELD_MAPPING,
    CREATE_CONNECTION,
    CREATE_INTEGRATION,
    LIST_SYNC_RUNS,
    TRIGGER_SYNC,
)
from sync_sdk.events import EventEnvelope

from .conftest import OTHER_ORG_USER, USER, VALID_INPUT
from .hubkit import (
    CONNECTION,
    INTEGRATION,
    SECRET_KEY,
    finish,
    new_config,
    received,
    rows,
)

CLOCK_START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def hub(url: str) -> Iterator[SyncHub]:
    """A hub with a secret key, whose clock ticks a second per call (times are distinct)."""
    ticks = iter(range(1_000_000))
    with SyncHub(
        url, secret_key=SECRET_KEY, clock=lambda: CLOCK_START + timedelta(seconds=next(ticks))
    ) as hub:
        yield hub


def mapping_input(config_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "syncConfigId": config_id,
        "sourceField": "email",
        "targetField": "Email",
        "mappingType": "DIRECT",
        **changes,
    }


# -- 1. every operation works ------------------------------------------------------------------


def test_create_integration_is_active(hub: SyncHub) -> None:
    made = hub.create_integration({**INTEGRATION, "description": "Team chat"}, actor=USER)
    assert type(made) is Integration
    assert made.id.startswith("int_") and len(made.id) == 4 + 32
    assert made.status is IntegrationStatus.ACTIVE
    assert made.to_dict() == {
        "id": made.id,
        "name": "Slack",
        "slug": "slack",
        "description": "Team chat",
        "provider": "slack",
        "status": "ACTIVE",
        "createdAt": made.created_at.isoformat(),
    }
    assert made.created_at.tzinfo is UTC
    assert hub.get_integration(made.id, actor=USER) == made
    assert Integration.from_dict(made.to_dict()) == made


def test_create_connection_is_pending_and_its_integration_need_not_exist(hub: SyncHub) -> None:
    made = hub.create_connection(
        {**CONNECTION, "integrationId": "int-elsewhere", "transport": "rest"}, actor=USER
    )
    assert type(made) is Connection
    assert made.id.startswith("conn_")
    assert made.status is ConnectionStatus.PENDING
    assert made.integration_id == "int-elsewhere"
    wire = made.to_dict()
    assert wire["status"] == "PENDING" and wire["transport"] == "rest"
    assert "credentials" not in wire
    assert hub.get_connection(made.id, actor=USER) == made
    assert hub.connection_credentials(made.id, actor=USER) is None


def test_add_field_mapping_shows_in_its_config_in_insertion_order(hub: SyncHub) -> None:
    cfg = new_config(hub)
    other = new_config(hub, name="Other")
    targets = ["Zeta", "Alpha", "Mid", "Beta"]  # not sorted: order is insertion order
    added = [
        hub.add_field_mapping(mapping_input(cfg.id, targetField=target), actor=USER)
        for target in targets
    ]
    assert all(type(m) is FieldMapping and m.id.startswith("map_") for m in added)
    assert len({m.id for m in added}) == 4
    assert hub.get_sync_config(cfg.id, actor=USER).field_mappings == tuple(added)
    assert [
        m["targetField"] for m in hub.get_sync_config(cfg.id, actor=USER).to_dict()["fieldMappings"]
    ] == targets
    listed = {c.id: c for c in hub.list_sync_configs(actor=USER).items}
    assert listed[cfg.id].field_mappings == tuple(added)
    assert listed[other.id].field_mappings == ()  # another config's mappings are its own
    assert hub.get_sync_config(other.id, actor=USER).field_mappings == ()


def test_field_mapping_keeps_what_the_run_engine_needs(hub: SyncHub) -> None:
    cfg = new_config(hub)
    mapping = hub.add_field_mapping(
        mapping_input(
            cfg.id,
            mappingType="CONSTANT",
            constantValue={"tier": ["gold", 1]},
            defaultValue="n/a",
            lookupConfig={"map": {"g": "gold"}},
            isRequired=True,
        ),
        actor=USER,
    )
    assert mapping.mapping_type is MappingType.CONSTANT
    assert (mapping.constant_value, mapping.default_value, mapping.lookup_config) == (
        {"tier": ["gold", 1]},
        "n/a",
        {"map": {"g": "gold"}},
    )
    assert mapping.is_required is True
    assert mapping.to_dict()["constantValue"] == {"tier": ["gold", 1]}
    (stored,) = hub.get_sync_config(cfg.id, actor=USER).field_mappings
    assert stored == mapping


def test_trigger_sync_starts_a_pending_manual_run(hub: SyncHub) -> None:
    cfg = new_config(hub, direction="INBOUND")
    run = hub.trigger_sync({"syncConfigId": cfg.id}, actor=USER)
    assert type(run) is SyncRun
    assert run.id.startswith("run_")
    assert run.status is SyncStatus.PENDING
    assert run.trigger == "manual"
    assert run.direction is SyncDirection.INBOUND  # the config's own by default
    assert run.sync_config_id == cfg.id
    assert (
        run.records_processed,
        run.records_created,
        run.records_updated,
        run.records_failed,
    ) == (0, 0, 0, 0)
    assert (run.error_message, run.started_at, run.completed_at) == (None, None, None)
    assert hub.get_sync_run(run.id, actor=USER) == run
    finish(hub, run)
    second = hub.trigger_sync(sync_config_id=cfg.id, direction="BIDIRECTIONAL", actor=USER)
    assert second.direction is SyncDirection.BIDIRECTIONAL  # given: it wins


def test_list_sync_runs_newest_first_filtered_and_paged(hub: SyncHub) -> None:
    cfg = new_config(hub)
    other = new_config(hub, name="Other")
    runs: list[SyncRun] = []
    ends = [SyncStatus.COMPLETED, SyncStatus.FAILED, SyncStatus.COMPLETED, SyncStatus.CANCELLED]
    for end in ends:
        run = hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
        finish(hub, run, end)
        runs.append(attrs.evolve(run, status=end))
    runs.append(hub.trigger_sync(sync_config_id=cfg.id, actor=USER))  # still PENDING
    hub.trigger_sync(sync_config_id=other.id, actor=USER)  # another config's

    page = hub.list_sync_runs(sync_config_id=cfg.id, actor=USER)
    assert type(page) is Page
    assert page.items == runs[::-1]
    assert (page.total, page.limit, page.offset) == (5, 20, 0)  # the contract's defaults
    assert page.to_dict() == {"runs": [r.to_dict() for r in runs[::-1]], "total": 5}

    completed = hub.list_sync_runs({"syncConfigId": cfg.id, "status": "COMPLETED"}, actor=USER)
    assert completed.items == [runs[2], runs[0]]
    assert completed.total == 2

    paged = hub.list_sync_runs(sync_config_id=cfg.id, limit=2, offset=1, actor=USER)
    assert paged.items == runs[::-1][1:3]
    assert paged.total == 5  # the total of the filter, not of the page
    assert hub.list_sync_runs(sync_config_id=cfg.id, offset=5, actor=USER).items == []
    assert hub.list_sync_runs(sync_config_id=cfg.id, offset=2**70, actor=USER).items == []
    empty = hub.list_sync_runs(sync_config_id=cfg.id, status="RUNNING", actor=USER)
    assert empty.to_dict() == {"runs": [], "total": 0}


# Each operation's typed method and a valid input of it (given the config it needs).
OPERATIONS: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    CREATE_INTEGRATION.key: ("create_integration", lambda cfg: dict(INTEGRATION)),
    CREATE_CONNECTION.key: ("create_connection", lambda cfg: dict(CONNECTION)),
    ADD_FIELD_MAPPING.key: ("add_field_mapping", lambda cfg: mapping_input(cfg)),
    TRIGGER_SYNC.key: ("trigger_sync", lambda cfg: {"syncConfigId": cfg}),
    LIST_SYNC_RUNS.key: ("list_sync_runs", lambda cfg: {"syncConfigId": cfg, "limit": 5}),
}
COMMANDS = [key for key in OPERATIONS if key != LIST_SYNC_RUNS.key]


def snake(wire: dict[str, Any]) -> dict[str, Any]:
    return {"".join("_" + c.lower() if c.isupper() else c for c in k): v for k, v in wire.items()}


def comparable(result: Any) -> Any:
    """A result's wire form without what differs between two calls (ids and times)."""
    wire = result.to_dict()
    if "runs" in wire:
        return {**wire, "runs": [comparable(SyncRun.from_dict(r)) for r in wire["runs"]]}
    return {k: v for k, v in wire.items() if k not in {"id", "createdAt"}}


@pytest.mark.parametrize("key", list(OPERATIONS))
def test_wire_mapping_keywords_and_execute_give_the_same(hub: SyncHub, key: str) -> None:
    method, make = OPERATIONS[key]
    cfg = new_config(hub)
    data = make(cfg.id)
    results = []
    for call in (
        lambda: getattr(hub, method)(data, actor=USER),
        lambda: getattr(hub, method)(**snake(data), actor=USER),
        lambda: hub.execute(key, data, actor=USER),
        lambda: hub.execute(key, actor=USER, **snake(data)),
        lambda: hub.execute(key, data, actor=USER, version="1.0.0"),
    ):
        result = call()
        results.append(comparable(result))
        if isinstance(result, SyncRun):
            finish(hub, result)  # so that the next trigger may start one
    assert all(r == results[0] for r in results), results


@pytest.mark.parametrize("key", list(OPERATIONS))
def test_mapping_and_keywords_together_raise_type_error(hub: SyncHub, key: str) -> None:
    method, make = OPERATIONS[key]
    cfg = new_config(hub)
    before = rows(hub)
    with pytest.raises(TypeError, match="not both"):
        getattr(hub, method)(make(cfg.id), name="x", actor=USER)
    with pytest.raises(TypeError, match="not both"):
        hub.execute(key, make(cfg.id), name="x", actor=USER)
    assert rows(hub) == before


def test_execute_runs_the_create_of_configs_too(hub: SyncHub) -> None:
    cfg = hub.execute("integration.syncConfig.create", VALID_INPUT, actor=USER)
    assert hub.get_sync_config(cfg.id, actor=USER) == cfg
    again = hub.execute("integration.syncConfig.create", VALID_INPUT, actor=USER, version="1.0.0")
    assert again.id != cfg.id


@pytest.mark.parametrize(
    ("key", "version"),
    [
        ("integration.nothing", None),
        ("integration.create", "2.0.0"),
        ("integration.create", "1.0"),
        ("", None),
        (42, None),
        ("integration.create", 1),
    ],
)
def test_execute_of_an_unknown_key_or_version_is_not_found(
    hub: SyncHub, key: Any, version: Any
) -> None:
    before = rows(hub)
    with received() as got, pytest.raises(NotFound) as info:
        hub.execute(key, INTEGRATION, actor=USER, version=version)
    assert info.value.to_problem()["status"] == 404
    assert rows(hub) == before and got == []


def test_a_query_refuses_an_idempotency_key(hub: SyncHub) -> None:
    cfg = new_config(hub)
    before = rows(hub)
    with pytest.raises(TypeError, match="query: it takes no idempotency_key"):
        hub.execute(LIST_SYNC_RUNS.key, {"syncConfigId": cfg.id}, actor=USER, idempotency_key="k")
    with pytest.raises(TypeError, match="query: it takes no idempotency_key"):
        hub.list_sync_runs(sync_config_id=cfg.id, actor=USER, idempotency_key="k")  # type: ignore[call-arg]
    assert rows(hub) == before


@pytest.mark.parametrize("getter", ["get_integration", "get_connection", "get_sync_run"])
@pytest.mark.parametrize("item_id", ["int_missing", "", 7, None, "a\x00b"])
def test_get_of_a_missing_id_is_not_found(hub: SyncHub, getter: str, item_id: Any) -> None:
    with pytest.raises(NotFound):
        getattr(hub, getter)(item_id, actor=USER)


# Validation that happens before any storage is used: one backend is enough
BEFORE_STORAGE = pytest.mark.parametrize("backend", ["memory"])


# -- 2. validation -----------------------------------------------------------------------------

# (method, input given the config id, the issues expected: (path, code), in any order)
BAD_INPUTS: dict[str, tuple[str, Callable[[str], Any], set[tuple[str, str]]]] = {
    "integration-missing": (
        "create_integration",
        lambda cfg: {},
        {("name", "required"), ("slug", "required"), ("provider", "required")},
    ),
    "integration-all-wrong": (
        "create_integration",
        lambda cfg: {
            "name": " ",
            "slug": 5,
            "provider": "p",
            "config": {"a": {1, 2}},
            "featureFlagKey": 7,
            "stray": 1,
        },
        {
            ("name", "blank"),
            ("slug", "invalid_type"),
            ("config.a", "invalid_type"),
            ("featureFlagKey", "invalid_type"),
            ("stray", "unknown_field"),
        },
    ),
    "integration-not-a-mapping": ("create_integration", lambda cfg: [1], {("", "not_a_mapping")}),
    "connection-all-wrong": (
        "create_connection",
        lambda cfg: {
            "integrationId": "",
            "authType": 3,
            "transport": "ftp",
            "authMethod": "API_KEY",
            "apiVersion": 1,
            "credentials": "not-an-object",
        },
        {
            ("integrationId", "blank"),
            ("name", "required"),
            ("authType", "invalid_type"),
            ("transport", "invalid_enum"),
            ("authMethod", "invalid_enum"),
            ("apiVersion", "invalid_type"),
            ("credentials", "invalid_type"),
        },
    ),
    "connection-credentials-not-json": (
        "create_connection",
        lambda cfg: {**CONNECTION, "credentials": {"ttl": float("nan"), "scopes": [b"x"]}},
        {("credentials.ttl", "invalid_number"), ("credentials.scopes[0]", "invalid_type")},
    ),
    "mapping-missing": (
        "add_field_mapping",
        lambda cfg: {"syncConfigId": cfg},
        {("sourceField", "required"), ("targetField", "required"), ("mappingType", "required")},
    ),
    "mapping-all-wrong": (
        "add_field_mapping",
        lambda cfg: mapping_input(
            cfg,
            syncConfigId="\t",
            mappingType="EVAL",
            isRequired="yes",
            lookupConfig={"a": float("inf")},
        ),
        {
            ("syncConfigId", "blank"),
            ("mappingType", "invalid_enum"),
            ("isRequired", "invalid_type"),
            ("lookupConfig.a", "invalid_number"),
        },
    ),
    "trigger-all-wrong": (
        "trigger_sync",
        lambda cfg: {"syncConfigId": "", "direction": "SIDEWAYS", "fullSync": "yes", "x": 1},
        {
            ("syncConfigId", "blank"),
            ("direction", "invalid_enum"),
            ("fullSync", "invalid_type"),
            ("x", "unknown_field"),
        },
    ),
    "trigger-missing": ("trigger_sync", lambda cfg: {}, {("syncConfigId", "required")}),
    "list-below-bounds": (
        "list_sync_runs",
        lambda cfg: {"syncConfigId": cfg, "limit": 0, "offset": -1, "status": "DONE"},
        {("limit", "out_of_range"), ("offset", "out_of_range"), ("status", "invalid_enum")},
    ),
    "list-above-bounds": (
        "list_sync_runs",
        lambda cfg: {"syncConfigId": cfg, "limit": 101, "offset": "1"},
        {("limit", "out_of_range"), ("offset", "invalid_type")},
    ),
    "list-not-integers": (
        "list_sync_runs",
        lambda cfg: {"syncConfigId": cfg, "limit": True, "offset": 1.0},
        {("limit", "invalid_type"), ("offset", "invalid_type")},
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gets_one_error_naming_every_problem_and_writes_nothing(
    hub: SyncHub, case: str
) -> None:
    method, make, expected = BAD_INPUTS[case]
    cfg = new_config(hub)
    hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
    before = rows(hub)
    with received() as got, pytest.raises(ValidationError) as info:
        getattr(hub, method)(make(cfg.id), actor=USER)
    issues = [(i.path, i.code) for i in info.value.issues]
    assert len(issues) == len(set(issues))  # each problem once
    assert set(issues) == expected
    assert info.value.to_problem()["status"] == 422
    assert rows(hub) == before
    assert got == []
    # and validation comes before authorization: no actor gets the same answer
    with pytest.raises(ValidationError) as anonymous:
        getattr(hub, method)(make(cfg.id), actor=None)
    assert [(i.path, i.code) for i in anonymous.value.issues] == issues


@BEFORE_STORAGE
@pytest.mark.parametrize(
    ("mapping_type", "changes"),
    [
        ("TRANSFORM", {}),
        ("COMPUTED", {}),
        ("CONSTANT", {}),
        ("CONSTANT", {"constantValue": None}),
    ],
)
def test_a_mapping_type_requires_its_value(
    hub: SyncHub, mapping_type: str, changes: dict[str, Any]
) -> None:
    cfg = new_config(hub)
    before = rows(hub)
    with pytest.raises(ValidationError) as info:
        hub.add_field_mapping(
            mapping_input(cfg.id, mappingType=mapping_type, **changes), actor=USER
        )
    field = "constantValue" if mapping_type == "CONSTANT" else "transformExpression"
    assert [(i.path, i.code) for i in info.value.issues] == [(field, "required")]
    assert mapping_type in info.value.issues[0].message
    assert rows(hub) == before


VOCABULARY = [
    "uppercase",
    "lowercase",
    "trim",
    'default:"n/a"',
    "default:0",
    "concat:-",
    "concat:",
    "split:,",
    "number",
    "boolean",
    "string",
]
OUTSIDE = [
    "upper",
    "UPPERCASE",
    "uppercaseXYZ",
    "__import__('os').system('true')",
    "lambda x: x",
    "default:nope",
    "eval:1+1",
    "",
    "${email}",
]


@BEFORE_STORAGE
@pytest.mark.parametrize("expression", VOCABULARY)
def test_the_transform_vocabulary_is_accepted(hub: SyncHub, expression: str) -> None:
    cfg = new_config(hub)
    mapping = hub.add_field_mapping(
        mapping_input(cfg.id, mappingType="TRANSFORM", transformExpression=expression), actor=USER
    )
    assert mapping.transform_expression == expression
    assert hub.get_sync_config(cfg.id, actor=USER).field_mappings == (mapping,)


@BEFORE_STORAGE
@pytest.mark.parametrize("mapping_type", ["TRANSFORM", "DIRECT", "LOOKUP"])
@pytest.mark.parametrize("expression", OUTSIDE)
def test_anything_outside_the_vocabulary_is_an_invalid_expression(
    hub: SyncHub, expression: str, mapping_type: str
) -> None:
    cfg = new_config(hub)
    before = rows(hub)
    with pytest.raises(ValidationError) as info:
        # a LOOKUP mapping needs its lookupConfig: given, so only the expression is wrong
        lookup = {"lookupConfig": {"map": {"a": "b"}}} if mapping_type == "LOOKUP" else {}
        hub.add_field_mapping(
            mapping_input(
                cfg.id, mappingType=mapping_type, transformExpression=expression, **lookup
            ),
            actor=USER,
        )
    codes = [(i.path, i.code) for i in info.value.issues]
    assert codes in (
        [("transformExpression", "invalid_expression")],
        [("transformExpression", "blank")],  # the empty one is refused as a blank string
    )
    assert rows(hub) == before


@BEFORE_STORAGE
def test_a_computed_mapping_takes_a_template(hub: SyncHub) -> None:
    cfg = new_config(hub)
    ok = hub.add_field_mapping(
        mapping_input(cfg.id, mappingType="COMPUTED", transformExpression="${first} ${last}"),
        actor=USER,
    )
    assert ok.transform_expression == "${first} ${last}"
    with pytest.raises(ValidationError) as info:
        hub.add_field_mapping(
            mapping_input(cfg.id, mappingType="COMPUTED", transformExpression="${first"),
            actor=USER,
        )
    assert [(i.path, i.code) for i in info.value.issues] == [
        ("transformExpression", "invalid_expression")
    ]


# -- 3. policy and orgs ------------------------------------------------------------------------


@BEFORE_STORAGE
@pytest.mark.parametrize("key", list(OPERATIONS))
@pytest.mark.parametrize(
    "actor", [None, Actor.anonymous(), Actor(id="", org_id="org-1"), "user-1"], ids=str
)
def test_every_operation_requires_an_authenticated_actor(
    hub: SyncHub, key: str, actor: Any
) -> None:
    method, make = OPERATIONS[key]
    cfg = new_config(hub)
    before = rows(hub)
    with received() as got:
        with pytest.raises(AuthenticationRequired) as info:
            getattr(hub, method)(make(cfg.id), actor=actor)
        with pytest.raises(AuthenticationRequired):
            hub.execute(key, make(cfg.id), actor=actor)
    assert info.value.to_problem()["status"] == 401
    assert rows(hub) == before and got == []


@pytest.mark.parametrize(
    "getter",
    [
        "get_integration",
        "get_connection",
        "get_sync_run",
        "get_sync_config",
        "connection_credentials",
    ],
)
def test_getters_require_an_authenticated_actor(hub: SyncHub, getter: str) -> None:
    with pytest.raises(AuthenticationRequired):
        getattr(hub, getter)("x", actor=None)


def test_another_orgs_records_are_not_found(hub: SyncHub) -> None:
    integration = hub.create_integration(INTEGRATION, actor=USER)
    connection = hub.create_connection(CONNECTION, actor=USER)
    cfg = new_config(hub)
    hub.add_field_mapping(mapping_input(cfg.id), actor=USER)
    run = hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
    before = rows(hub)
    missing_answers = []
    with received() as got:
        for call in (
            lambda: hub.get_integration(integration.id, actor=OTHER_ORG_USER),
            lambda: hub.get_connection(connection.id, actor=OTHER_ORG_USER),
            lambda: hub.get_sync_run(run.id, actor=OTHER_ORG_USER),
            lambda: hub.get_sync_config(cfg.id, actor=OTHER_ORG_USER),
            lambda: hub.connection_credentials(connection.id, actor=OTHER_ORG_USER),
            lambda: hub.add_field_mapping(mapping_input(cfg.id), actor=OTHER_ORG_USER),
            lambda: hub.trigger_sync(sync_config_id=cfg.id, actor=OTHER_ORG_USER),
            lambda: hub.list_sync_runs(sync_config_id=cfg.id, actor=OTHER_ORG_USER),
            lambda: hub.execute(TRIGGER_SYNC.key, {"syncConfigId": cfg.id}, actor=OTHER_ORG_USER),
        ):
            with pytest.raises(NotFound) as info:
                call()
            missing_answers.append(str(info.value))
    assert rows(hub) == before
    assert got == []
    # the same answers as for ids that exist nowhere: no hint that they exist elsewhere
    with pytest.raises(NotFound) as nowhere:
        hub.trigger_sync(sync_config_id="sync_nowhere", actor=USER)
    assert str(nowhere.value) == missing_answers[6].replace(cfg.id, "sync_nowhere")
    assert all("permission" not in m.lower() for m in missing_answers)
    # and the owner's records are untouched
    assert hub.get_sync_run(run.id, actor=USER) == run
    assert len(hub.get_sync_config(cfg.id, actor=USER).field_mappings) == 1


def test_each_org_sees_only_its_own_runs(hub: SyncHub) -> None:
    mine = new_config(hub)
    theirs = hub.create_sync_config(VALID_INPUT, actor=OTHER_ORG_USER)
    my_run = hub.trigger_sync(sync_config_id=mine.id, actor=USER)
    their_run = hub.trigger_sync(sync_config_id=theirs.id, actor=OTHER_ORG_USER)
    assert hub.list_sync_runs(sync_config_id=mine.id, actor=USER).items == [my_run]
    assert hub.list_sync_runs(sync_config_id=theirs.id, actor=OTHER_ORG_USER).items == [their_run]


# -- 4. side effects ---------------------------------------------------------------------------

# The audit keys and event of each command, as its contract declares them.
DECLARED = {
    CREATE_INTEGRATION.key: (("integration.created",), "integration.created"),
    CREATE_CONNECTION.key: (("integration.connection.created",), "integration.connection.created"),
    ADD_FIELD_MAPPING.key: ((), "integration.fieldMapping.added"),
    TRIGGER_SYNC.key: (("integration.sync.triggered",), "integration.sync.started"),
}
SIGNAL_NAMES = {
    "integration.created": "integration_created",
    "integration.connection.created": "connection_created",
    "integration.fieldMapping.added": "field_mapping_added",
    "integration.sync.started": "sync_started",
}


def test_declared_side_effects_are_the_contracts() -> None:
    for key, (audit, event) in DECLARED.items():
        contract = {
            c.key: c
            for c in (CREATE_INTEGRATION, CREATE_CONNECTION, ADD_FIELD_MAPPING, TRIGGER_SYNC)
        }[key]
        assert contract.side_effects.audit == audit
        assert [e.key for e in contract.side_effects.emits] == [event]


@pytest.mark.parametrize("key", COMMANDS)
def test_a_command_writes_its_audit_records_and_one_event_then_publishes(
    hub: SyncHub, key: str
) -> None:
    method, make = OPERATIONS[key]
    audit_keys, event_key = DECLARED[key]
    cfg = new_config(hub)
    before = rows(hub)
    seen_at_delivery: list[dict[str, int]] = []

    def check_committed(sender: SyncHub, *, event: EventEnvelope) -> None:
        seen_at_delivery.append(rows(sender))  # readable by anyone when the event arrives

    signal = getattr(signals, SIGNAL_NAMES[event_key])
    assert signal.name == event_key
    with received() as got, signal.connected_to(check_committed):
        output = getattr(hub, method)(make(cfg.id), actor=USER)
    after = rows(hub)
    assert after["audit"] == before["audit"] + len(audit_keys)
    assert after["outbox"] == before["outbox"] + 1
    assert seen_at_delivery == [after]

    ((sender, event),) = got
    assert sender is hub
    assert (event.key, event.version) == (event_key, "1.0.0")
    assert event.payload == output
    assert (event.actor_id, event.org_id) == (USER.id, USER.org_id)
    assert event.id.startswith("evt_")
    assert event.occurred_at.tzinfo is UTC
    assert event.to_dict() == {
        "id": event.id,
        "key": event_key,
        "version": "1.0.0",
        "occurredAt": event.occurred_at.isoformat(),
        "payload": output.to_dict(),
        "actorId": USER.id,
        "orgId": USER.org_id,
    }

    records = hub.audit_log(actor=USER, subject_id=output.id)
    assert [r.key for r in records] == list(audit_keys)
    assert all(r.event_id == event.id and r.actor_id == USER.id for r in records)
    with hub.storage.unit_of_work(write=False) as uow:
        (stored,) = [e for e in uow.outbox.list() if e.id == event.id]
    assert (stored.key, stored.subject_id) == (event_key, output.id)


def test_a_query_writes_and_publishes_nothing(hub: SyncHub) -> None:
    cfg = new_config(hub)
    hub.trigger_sync(sync_config_id=cfg.id, actor=USER)
    before = rows(hub)
    with received() as got:
        hub.list_sync_runs(sync_config_id=cfg.id, actor=USER)
    assert rows(hub) == before and got == []


def test_a_raising_receiver_leaves_every_kind_of_event_pending_for_redelivery(
    hub: SyncHub, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(sender: object, *, event: EventEnvelope) -> None:
        raise RuntimeError("receiver down")

    outputs: dict[str, Any] = {}
    with received() as first, caplog.at_level(logging.CRITICAL, logger="sync_sdk.events"):
        for signal in (
            signals.sync_config_created,
            signals.integration_created,
            signals.connection_created,
            signals.field_mapping_added,
            signals.sync_started,
        ):
            signal.connect(broken)
        try:
            cfg = new_config(hub)
            outputs["integration.syncConfig.created"] = cfg
            outputs["integration.created"] = hub.create_integration(INTEGRATION, actor=USER)
            outputs["integration.connection.created"] = hub.create_connection(
                CONNECTION, actor=USER
            )
            outputs["integration.fieldMapping.added"] = hub.add_field_mapping(
                mapping_input(cfg.id), actor=USER
            )
            outputs["integration.sync.started"] = hub.trigger_sync(
                sync_config_id=cfg.id, actor=USER
            )
        finally:
            for signal in signals.namespace.values():
                signal.disconnect(broken)
    assert len(first) == 5  # the other receiver got each event the first time
    hub.flush()
    with hub.storage.unit_of_work(write=False) as uow:
        assert uow.outbox.count(pending_only=True) == 5
    with received() as again:
        assert hub.redeliver_pending() == 5
    assert {e.key: e.payload for _, e in again} == outputs
    assert {type(e.payload) for _, e in again} == {type(o) for o in outputs.values()}
    assert [e.id for _, e in again] == [e.id for _, e in first]
    assert all(sender is hub for sender, _ in again)
    assert hub.redeliver_pending() == 0
    with hub.storage.unit_of_work(write=False) as uow:
        assert uow.outbox.count(pending_only=True) == 0


# -- idempotency -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", COMMANDS)
def test_the_same_key_and_input_return_the_first_result(hub: SyncHub, key: str) -> None:
    method, make = OPERATIONS[key]
    cfg = new_config(hub)
    first = getattr(hub, method)(make(cfg.id), actor=USER, idempotency_key="req-1")
    before = rows(hub)
    with received() as got:
        again = getattr(hub, method)(make(cfg.id), actor=USER, idempotency_key="req-1")
        by_key = hub.execute(key, make(cfg.id), actor=USER, idempotency_key="req-1")
        by_keywords = getattr(hub, method)(
            **snake(make(cfg.id)), actor=USER, idempotency_key="req-1"
        )
    assert again == by_key == by_keywords == first
    assert type(again) is type(first)
    assert rows(hub) == before
    assert got == []


@pytest.mark.parametrize("key", COMMANDS)
def test_the_same_key_with_other_input_is_a_conflict(hub: SyncHub, key: str) -> None:
    method, make = OPERATIONS[key]
    cfg = new_config(hub)
    other_cfg = new_config(hub, name="Other")
    first = getattr(hub, method)(make(cfg.id), actor=USER, idempotency_key="req-1")
    changed = {
        CREATE_INTEGRATION.key: {**INTEGRATION, "slug": "slack-2"},
        CREATE_CONNECTION.key: {**CONNECTION, "name": "Staging"},
        ADD_FIELD_MAPPING.key: mapping_input(cfg.id, targetField="Other"),
        TRIGGER_SYNC.key: {"syncConfigId": other_cfg.id},
    }[key]
    before = rows(hub)
    with received() as got, pytest.raises(Conflict) as info:
        getattr(hub, method)(changed, actor=USER, idempotency_key="req-1")
    assert info.value.to_problem()["status"] == 409
    assert rows(hub) == before and got == []
    # another org has keys of its own
    if key in (ADD_FIELD_MAPPING.key, TRIGGER_SYNC.key):
        theirs = hub.create_sync_config(VALID_INPUT, actor=OTHER_ORG_USER)
        data = make(theirs.id)
    else:
        data = make(cfg.id)
    assert getattr(hub, method)(data, actor=OTHER_ORG_USER, idempotency_key="req-1") != first


ALL_COMMANDS = ["integration.syncConfig.create", *COMMANDS]


@pytest.mark.parametrize(
    ("first", "second"), [(a, b) for a in ALL_COMMANDS for b in ALL_COMMANDS if a != b]
)
def test_a_key_used_for_another_operation_is_a_conflict(
    hub: SyncHub, first: str, second: str
) -> None:
    cfg = new_config(hub)

    def data(key: str) -> dict[str, Any]:
        return (
            dict(VALID_INPUT)
            if key == "integration.syncConfig.create"
            else OPERATIONS[key][1](cfg.id)
        )

    hub.execute(first, data(first), actor=USER, idempotency_key="shared")
    before = rows(hub)
    with received() as got, pytest.raises(Conflict, match=first.replace(".", r"\.")):
        hub.execute(second, data(second), actor=USER, idempotency_key="shared")
    assert rows(hub) == before and got == []
