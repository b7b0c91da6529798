"""The engine interface: SyncResult, RunContext, SyncEngine, field mappings and MappingEngine."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sync_sdk.engine
from sync_sdk import SyncHub
from sync_sdk.engine import (
    MappingEngine,
    RecordFailed,
    RunContext,
    SyncEngine,
    SyncResult,
    apply_field_mappings,
)
from sync_sdk.errors import (
    ConfigurationTypeError,
    SyncSdkError,
    ValidationError,
)
from sync_sdk.models import (
    AddFieldMappingInput,
    FieldMapping,
    MappingType,
    SyncConfig,
    SyncDirection,
    SyncRun,
    SyncStatus,
)
from sync_sdk.transforms import TransformError, compile_lookup, lookup_problem

from .conftest import USER, VALID_INPUT, counts

DIRECT, TRANSFORM, LOOKUP, CONSTANT, COMPUTED = (
    MappingType.DIRECT,
    MappingType.TRANSFORM,
    MappingType.LOOKUP,
    MappingType.CONSTANT,
    MappingType.COMPUTED,
)
RUN = SyncRun(
    id="run_1",
    sync_config_id="sync_1",
    status=SyncStatus.RUNNING,
    direction=SyncDirection.INBOUND,
    trigger="manual",
    records_processed=0,
    records_created=0,
    records_updated=0,
    records_failed=0,
    created_at=datetime(2025, 1, 1, tzinfo=UTC),
)
SECRET = "personal-value-7f3a"


def m(
    source: str,
    target: str,
    kind: MappingType = DIRECT,
    *,
    expression: str | None = None,
    required: bool = False,
    **extra: Any,
) -> FieldMapping:
    return FieldMapping("m", source, target, kind, required, expression, **extra)


def context(*mappings: FieldMapping, **fields: Any) -> RunContext:
    config = SyncConfig(
        "sync_1",
        "int-1",
        "conn-1",
        "Contacts",
        SyncDirection.INBOUND,
        "contacts",
        "people",
        field_mappings=mappings,
    )
    return RunContext(run=RUN, config=config, **fields)


def test_public_names() -> None:
    assert sync_sdk.engine.__all__ == [
        "MappingEngine",
        "RecordFailed",
        "RunContext",
        "SyncEngine",
        "SyncResult",
        "apply_field_mappings",
    ]


# ---------------------------------------------------------------- SyncResult


def test_sync_result_defaults_and_wire_dict() -> None:
    assert SyncResult().to_dict() == {
        "recordsProcessed": 0,
        "recordsCreated": 0,
        "recordsUpdated": 0,
        "recordsFailed": 0,
        "errorMessage": None,
    }
    failed = SyncResult(records_processed=3, records_failed=3, error_message="boom")
    assert failed.to_dict()["errorMessage"] == "boom"
    assert failed.to_dict()["recordsFailed"] == 3
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        failed.records_failed = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        SyncResult(1)  # type: ignore[call-arg]  # keyword-only: no count passed in the wrong place


def test_sync_result_refuses_bad_counts_naming_each() -> None:
    with pytest.raises(ValidationError) as caught:
        SyncResult(
            records_processed=-1,
            records_created=True,  # a bool is not a count
            records_updated=1.0,  # type: ignore[arg-type]
            records_failed="2",  # type: ignore[arg-type]
            error_message=3,  # type: ignore[arg-type]
        )
    assert [(i.path, i.code) for i in caught.value.issues] == [
        ("recordsProcessed", "out_of_range"),
        ("recordsCreated", "invalid_type"),
        ("recordsUpdated", "invalid_type"),
        ("recordsFailed", "invalid_type"),
        ("errorMessage", "invalid_type"),
    ]
    with pytest.raises(ValidationError) as caught:
        SyncResult(error_message="  ")
    assert [(i.path, i.code) for i in caught.value.issues] == [("errorMessage", "blank")]
    assert SyncResult(records_processed=0).records_processed == 0


# ---------------------------------------------------------------- RunContext and SyncEngine


def test_run_context_calls_is_cancelled_each_time() -> None:
    calls: list[int] = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) >= 2

    ctx = context(is_cancelled=cancelled)
    assert (ctx.is_cancelled(), ctx.is_cancelled(), len(calls)) == (False, True, 2)
    assert context().is_cancelled() is False  # never, by default
    assert context(is_cancelled=lambda: 1).is_cancelled() is True


def test_run_context_keeps_credentials_out_of_its_repr() -> None:
    ctx = context(credentials={"apiKey": SECRET})
    assert ctx.credentials == {"apiKey": SECRET}
    assert ctx.run is RUN
    assert ctx.config.id == "sync_1"
    assert SECRET not in repr(ctx)
    assert "credentials" not in repr(ctx)


def test_run_context_refuses_wrong_types_naming_each() -> None:
    with pytest.raises(ConfigurationTypeError) as caught:
        RunContext(
            run="run_1",  # type: ignore[arg-type]
            config={},  # type: ignore[arg-type]
            credentials="token",  # type: ignore[arg-type]
            is_cancelled=False,  # type: ignore[arg-type]
        )
    message = str(caught.value)
    for name in (
        "run must be a SyncRun",
        "config must be a SyncConfig",
        "credentials",
        "is_cancel",
    ):
        assert name in message
    assert "token" not in message


def test_sync_engine_protocol() -> None:
    def engine(context: RunContext) -> SyncResult:
        return SyncResult()

    assert isinstance(engine, SyncEngine)
    assert isinstance(MappingEngine([], lambda record, ctx: "created"), SyncEngine)
    assert not isinstance(object(), SyncEngine)
    assert not isinstance([], SyncEngine)


# ---------------------------------------------------------------- each mapping type


def test_direct_copies_nested_values_and_keeps_missing_ones_as_none() -> None:
    record = {"contact": {"email": "ada@example.com"}, "tags": ["a"], "n": 0}
    mappings = [
        m("contact.email", "email"),
        m("tags", "profile.tags"),
        m("n", "profile.count"),
        m("contact.phone", "phone"),
        m("tags.0", "first_tag"),  # no list indexes
    ]
    assert apply_field_mappings(record, mappings) == {
        "email": "ada@example.com",
        "profile": {"tags": ["a"], "count": 0},
        "phone": None,
        "first_tag": None,
    }


def test_target_shares_no_object_with_the_source_or_the_mappings() -> None:
    record = {"contact": {"tags": ["a"]}}
    before = copy.deepcopy(record)
    constant = {"kind": {"name": "crm"}}
    mappings = [m("contact", "contact"), m("-", "meta", CONSTANT, constant_value=constant)]
    first = apply_field_mappings(record, mappings)
    first["contact"]["tags"].append("changed")
    first["meta"]["kind"]["name"] = "changed"
    assert record == before
    assert constant == {"kind": {"name": "crm"}}
    assert apply_field_mappings(record, mappings)["meta"] == {"kind": {"name": "crm"}}


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("uppercase", "ada", "ADA"),
        ("lowercase", "ADA", "ada"),
        ("trim", "  ada ", "ada"),
        ("number", " 42 ", 42),
        ("boolean", "Yes", True),
        ("string", 7, "7"),
        ('default:"n/a"', None, "n/a"),
        ("concat:-", ["a", "b"], "a-b"),
        ("split:;", "a;b", ["a", "b"]),
    ],
)
def test_transform(expression: str, value: object, expected: object) -> None:
    mapping = m("in.value", "out", TRANSFORM, expression=expression)
    assert apply_field_mappings({"in": {"value": value}}, [mapping]) == {"out": expected}


def test_a_transform_that_fails_fails_the_record_without_showing_the_value() -> None:
    mapping = m("age", "profile.age", TRANSFORM, expression="number")
    with pytest.raises(RecordFailed) as caught:
        apply_field_mappings({"age": SECRET}, [mapping])
    err = caught.value
    assert isinstance(err, SyncSdkError)
    assert err.field == "profile.age"
    assert isinstance(err.__cause__, TransformError)
    assert SECRET in str(err.__cause__)  # the cause has the details
    assert SECRET not in str(err)
    assert "'number'" in str(err)
    assert "profile.age" in str(err)
    assert err.to_problem()["code"] == "RECORD_FAILED"


def test_constant_ignores_the_source() -> None:
    mapping = m("not.there", "source", CONSTANT, constant_value="crm")
    assert apply_field_mappings({}, [mapping]) == {"source": "crm"}
    assert apply_field_mappings({"not": {"there": 1}}, [mapping]) == {"source": "crm"}


@pytest.mark.parametrize("kind", list(MappingType))
def test_default_value_fills_a_missing_or_null_value_only(kind: MappingType) -> None:
    extras: dict[MappingType, dict[str, Any]] = {
        DIRECT: {},
        TRANSFORM: {"expression": "trim"},
        LOOKUP: {"lookup_config": {"map": {"x": "X"}}},
        CONSTANT: {"constant_value": None},  # only when built by hand: add refuses it
        COMPUTED: {"expression": "${v}"},
    }
    extra = extras[kind]
    mapping = m("v", "out", kind, default_value="fallback", **extra)
    assert apply_field_mappings({}, [mapping]) == {"out": "fallback"}
    assert apply_field_mappings({"v": None}, [mapping]) == {"out": "fallback"}


@pytest.mark.parametrize("falsy", [0, False, "", [], {}])
def test_a_falsy_value_is_a_value(falsy: object) -> None:
    mapping = m("v", "out", required=True, default_value="fallback")
    assert apply_field_mappings({"v": falsy}, [mapping]) == {"out": falsy}


def test_a_required_value_missing_fails_the_record_naming_the_target() -> None:
    mappings = [m("name", "name"), m("contact.email", "email", required=True)]
    with pytest.raises(RecordFailed) as caught:
        apply_field_mappings({"name": SECRET, "contact": {"email": None}}, mappings)
    assert caught.value.field == "email"
    assert "required" in str(caught.value)
    assert SECRET not in str(caught.value)
    # a default satisfies it
    fixed = [m("contact.email", "email", required=True, default_value="none@example.com")]
    assert apply_field_mappings({}, fixed) == {"email": "none@example.com"}


def test_a_transform_giving_none_takes_the_default() -> None:
    mapping = m("v", "out", TRANSFORM, expression="string", required=True, default_value="-")
    assert apply_field_mappings({"v": None}, [mapping]) == {"out": "-"}


# ---------------------------------------------------------------- LOOKUP and COMPUTED

TIERS = {"map": {"g": "gold", "1": "one", "true": "yes", "2.5": "half", "o": {"n": [1]}}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("g", "gold"), (1, "one"), (True, "yes"), (2.5, "half"), ("o", {"n": [1]})],
)
def test_lookup_maps_the_source_value_as_text(value: object, expected: object) -> None:
    mapping = m("tier", "plan", LOOKUP, lookup_config=TIERS)
    assert apply_field_mappings({"tier": value}, [mapping]) == {"plan": expected}


def test_lookup_of_a_value_the_map_lacks() -> None:
    strict = m("tier", "plan", LOOKUP, lookup_config={"map": {"g": "gold"}})
    with pytest.raises(RecordFailed) as caught:
        apply_field_mappings({"tier": SECRET}, [strict])
    assert caught.value.field == "plan"
    assert isinstance(caught.value.__cause__, TransformError)
    assert SECRET not in str(caught.value)
    with_default = m("tier", "plan", LOOKUP, lookup_config={"map": {"g": "gold"}, "default": "b"})
    assert apply_field_mappings({"tier": "s"}, [with_default]) == {"plan": "b"}
    # a null default makes the value missing: the mapping's defaultValue and isRequired apply
    to_null = {"map": {"g": "gold"}, "default": None}
    fallback = m("tier", "plan", LOOKUP, lookup_config=to_null, default_value="basic")
    assert apply_field_mappings({"tier": "s"}, [fallback]) == {"plan": "basic"}
    required = m("tier", "plan", LOOKUP, lookup_config=to_null, required=True)
    with pytest.raises(RecordFailed):
        apply_field_mappings({"tier": "s"}, [required])


def test_lookup_of_a_missing_value_is_missing_and_of_an_object_fails() -> None:
    mapping = m("tier", "plan", LOOKUP, lookup_config={"map": {"g": "gold"}, "default": "b"})
    assert apply_field_mappings({}, [mapping]) == {"plan": None}
    with pytest.raises(RecordFailed):
        apply_field_mappings({"tier": ["g"]}, [mapping])
    with pytest.raises(RecordFailed):
        apply_field_mappings({"tier": {"g": 1}}, [mapping])


def test_lookup_values_are_fresh_for_each_record() -> None:
    mapping = m("tier", "plan", LOOKUP, lookup_config=TIERS)
    first = apply_field_mappings({"tier": "o"}, [mapping])
    first["plan"]["n"].append(2)
    assert apply_field_mappings({"tier": "o"}, [mapping]) == {"plan": {"n": [1]}}
    assert TIERS["map"]["o"] == {"n": [1]}


def test_lookup_problems_are_bounded_and_exact() -> None:
    many = {f"k{i}" * 50: i for i in range(9)}
    problem = lookup_problem(many)
    assert problem is not None
    assert "and 6 more" in problem and len(problem) < 500
    assert (
        lookup_problem({"map": {1: "a"}})
        == '"map" has a key that is not text (JSON keys are strings)'
    )
    assert lookup_problem({"map": {"a": None}}) is None
    with pytest.raises(TransformError, match="invalid lookupConfig: must be an object"):
        compile_lookup(["a"])  # type: ignore[arg-type]
    with pytest.raises(TransformError, match="not a JSON number"):
        compile_lookup({"map": {"a": 1}})(math.nan)


def test_computed_renders_its_template_over_the_record() -> None:
    mapping = m("ignored", "label", COMPUTED, expression="${first} ${name.last} (${vip})")
    record = {"first": "Ada", "name": {"last": "Lovelace"}, "vip": True}
    assert apply_field_mappings(record, [mapping]) == {"label": "Ada Lovelace (true)"}
    # a missing reference renders as "" while another one is there
    assert apply_field_mappings({"first": "Ada"}, [mapping]) == {"label": "Ada  ()"}


def test_computed_with_every_reference_missing_is_missing() -> None:
    mapping = m("-", "label", COMPUTED, expression="${first} ${last}", default_value="anon")
    assert apply_field_mappings({"other": 1}, [mapping]) == {"label": "anon"}
    required = m("-", "label", COMPUTED, expression="${first} ${last}", required=True)
    with pytest.raises(RecordFailed) as caught:
        apply_field_mappings({"first": None}, [required])
    assert caught.value.field == "label"
    assert apply_field_mappings({"last": "L"}, [required]) == {"label": " L"}


def test_computed_value_with_no_json_text_fails_the_record() -> None:
    mapping = m("-", "label", COMPUTED, expression="${when}")
    with pytest.raises(RecordFailed) as caught:
        apply_field_mappings({"when": datetime(2025, 1, 1)}, [mapping])
    assert isinstance(caught.value.__cause__, TransformError)


# ---------------------------------------------------------------- order, shape, bad input


def test_mappings_apply_in_order() -> None:
    record = {"a": "first", "b": "second", "obj": {"x": 1}, "s": "text"}
    assert apply_field_mappings(record, [m("a", "out"), m("b", "out")]) == {"out": "second"}
    assert apply_field_mappings(record, [m("obj", "out"), m("a", "out.y")]) == {
        "out": {"x": 1, "y": "first"}
    }
    assert record["obj"] == {"x": 1}
    with pytest.raises(RecordFailed) as caught:
        apply_field_mappings(record, [m("s", "out"), m("a", "out.y")])
    assert caught.value.field == "out.y"
    assert "text" not in str(caught.value)


@pytest.mark.parametrize("record", [None, "text", ["a"], 1])
def test_a_source_record_that_is_not_an_object_fails(record: object) -> None:
    with pytest.raises(RecordFailed) as caught:
        apply_field_mappings(record, [m("a", "b")])  # type: ignore[arg-type]
    assert caught.value.field is None


def test_no_mappings_give_an_empty_record() -> None:
    assert apply_field_mappings({"a": 1}, []) == {}


def test_mappings_that_cannot_apply_raise_validation_error_naming_each() -> None:
    mappings: list[Any] = [
        m("a", "b", TRANSFORM),
        m("a", "b", TRANSFORM, expression="upper"),
        m("a", "b", COMPUTED, expression="${a"),
        m("a", "b", LOOKUP),
        m("a", "b", LOOKUP, lookup_config={"sourceObject": "crm"}),
        m("a..b", "b"),
        m("-", "b.", CONSTANT, constant_value=1),
        FieldMapping("m", "a", "b", "SOMETIMES", False),  # type: ignore[arg-type]
        {"sourceField": "a"},
    ]
    with pytest.raises(ValidationError) as caught:
        apply_field_mappings({"a": 1}, mappings)
    assert [(i.path, i.code) for i in caught.value.issues] == [
        ("fieldMappings[0].transformExpression", "required"),
        ("fieldMappings[1].transformExpression", "invalid_expression"),
        ("fieldMappings[2].transformExpression", "invalid_expression"),
        ("fieldMappings[3].lookupConfig", "required"),
        ("fieldMappings[4].lookupConfig", "invalid_lookup"),
        ("fieldMappings[5].sourceField", "invalid_path"),
        ("fieldMappings[6].targetField", "invalid_path"),
        ("fieldMappings[7].mappingType", "invalid_enum"),
        ("fieldMappings[8]", "invalid_type"),
    ]
    for bad in (None, "DIRECT", {"a": 1}):
        with pytest.raises(ValidationError):
            apply_field_mappings({}, bad)  # type: ignore[arg-type]


def test_a_plain_string_mapping_type_works() -> None:
    mapping = FieldMapping("m", "a", "b", "DIRECT", False)  # type: ignore[arg-type]
    assert apply_field_mappings({"a": 1}, [mapping]) == {"b": 1}


def test_each_transform_expression_is_compiled_once() -> None:
    sync_sdk.engine._transform.cache_clear()  # type: ignore[attr-defined]
    mapping = m("v", "out", TRANSFORM, expression="split:|")
    for index in range(20):
        apply_field_mappings({"v": f"a|{index}"}, [mapping])
    info = sync_sdk.engine._transform.cache_info()  # type: ignore[attr-defined]
    assert (info.misses, info.hits) == (1, 19)


# ---------------------------------------------------------------- properties

KEYS = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=6), st.lists(KEYS, max_size=6, unique=True))
def test_direct_mappings_copy_exactly(record: dict[str, Any], fields: list[str]) -> None:
    before = copy.deepcopy(record)
    mappings = [m(name, f"target.{name}") for name in fields]
    result = apply_field_mappings(record, mappings)
    assert result == ({"target": {n: record.get(n) for n in fields}} if fields else {})
    assert record == before


MAPPING_KINDS = st.sampled_from(
    [
        {"kind": DIRECT},
        {"kind": TRANSFORM, "expression": "string"},
        {"kind": CONSTANT, "constant_value": [1]},
        {"kind": COMPUTED, "expression": "<${a}>"},
        {"kind": LOOKUP, "lookup_config": {"map": {"x": 1}, "default": 2}},
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(KEYS, st.none() | st.integers() | st.text(max_size=4), max_size=6),
    st.lists(st.tuples(KEYS, KEYS, MAPPING_KINDS), max_size=8),
)
def test_output_keys_are_exactly_the_mapped_target_fields(
    record: dict[str, Any], found: list[tuple[str, str, dict[str, Any]]]
) -> None:
    mappings = [m(source, target, **options) for source, target, options in found]
    result = apply_field_mappings(record, mappings)
    assert set(result) == {target for _, target, _ in found}


# ---------------------------------------------------------------- MappingEngine

EMAIL = m("email", "contact.email", TRANSFORM, expression="lowercase", required=True)


class Writer:
    """A writer into a dict keyed by email: created, then updated."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.contexts: list[RunContext] = []

    def __call__(self, record: dict[str, Any], context: RunContext) -> str:
        self.contexts.append(context)
        email = record["contact"]["email"]
        outcome = "updated" if email in self.rows else "created"
        self.rows[email] = record
        return outcome


def test_mapping_engine_counts_what_happened() -> None:
    writer = Writer()
    records = [{"email": "A@x.org"}, {"email": "b@x.org"}, {"email": "a@X.ORG"}, {"name": "no"}]
    ctx = context(EMAIL)
    result = MappingEngine(records, writer)(ctx)
    assert result == SyncResult(
        records_processed=4, records_created=2, records_updated=1, records_failed=1
    )
    assert writer.rows == {
        "a@x.org": {"contact": {"email": "a@x.org"}},
        "b@x.org": {"contact": {"email": "b@x.org"}},
    }
    assert all(c is ctx for c in writer.contexts)


def test_mapping_engine_reads_through_a_callable_each_run() -> None:
    seen: list[RunContext] = []

    def read(ctx: RunContext) -> Iterator[dict[str, Any]]:
        seen.append(ctx)
        yield {"email": "a@x.org"}
        yield {"email": "b@x.org"}

    engine = MappingEngine(read, lambda record, ctx: "created")
    ctx = context(EMAIL)
    assert engine(ctx).records_created == 2
    assert engine(ctx).records_created == 2  # a second run reads again
    assert seen == [ctx, ctx]


def test_mapping_engine_logs_failed_records_without_their_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def write(record: dict[str, Any], ctx: RunContext) -> str:
        if record["n"] == 2:
            raise ValueError(f"duplicate key {SECRET}")
        return "created"

    mappings = (m("n", "n", TRANSFORM, expression="number"),)
    records = [{"n": "1"}, {"n": SECRET}, {"n": "2"}, {"n": "3"}]
    with caplog.at_level(logging.WARNING, logger="sync_sdk.engine"):
        result = MappingEngine(records, write)(context(*mappings))
    assert (result.records_processed, result.records_created, result.records_failed) == (4, 2, 2)
    assert result.error_message is None
    lines = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert [(name, level) for name, level, _ in lines] == [
        ("sync_sdk.engine", logging.WARNING),
        ("sync_sdk.engine", logging.WARNING),
    ]
    assert "run_1" in lines[0][2] and "record 1" in lines[0][2] and "'n'" in lines[0][2]
    assert "record 2" in lines[1][2] and "ValueError" in lines[1][2]
    assert all(SECRET not in text for _, _, text in lines)
    assert all(r.exc_info is None for r in caplog.records)  # no traceback quoting the values


def test_mapping_engine_counts_a_record_that_is_not_an_object_as_failed() -> None:
    records = [{"email": "a@x.org"}, "junk", None]
    result = MappingEngine(records, Writer())(context(EMAIL))  # type: ignore[arg-type]
    assert (result.records_processed, result.records_created, result.records_failed) == (3, 1, 2)


def test_mapping_engine_stops_when_cancelled() -> None:
    taken: list[int] = []
    closed: list[bool] = []

    def read() -> Iterator[dict[str, Any]]:
        try:
            for index in range(10):
                taken.append(index)
                yield {"email": f"{index}@x.org"}
        finally:
            closed.append(True)

    writer = Writer()
    ctx = context(EMAIL, is_cancelled=lambda: len(writer.rows) >= 3)
    source = read()
    result = MappingEngine(source, writer)(ctx)
    assert result == SyncResult(records_processed=3, records_created=3)
    assert result.error_message is None
    assert taken == [0, 1, 2]  # no record read after the cancellation was seen
    assert closed == [True]  # closed by the engine, though the source is still referenced


def test_mapping_engine_cancelled_before_the_first_record_reads_none() -> None:
    read_calls: list[RunContext] = []

    def read(ctx: RunContext) -> Iterator[dict[str, Any]]:
        read_calls.append(ctx)
        yield {"email": "a@x.org"}

    result = MappingEngine(read, Writer())(context(EMAIL, is_cancelled=lambda: True))
    assert result == SyncResult()
    assert read_calls == []  # the generator was never started


def test_a_writer_returning_anything_else_fails_the_run_keeping_counts() -> None:
    outcomes = iter(["created", "ok", "created"])
    written: list[dict[str, Any]] = []

    def write(record: dict[str, Any], ctx: RunContext) -> str:
        written.append(record)
        return next(outcomes)

    records = [{"email": "a@x.org"}, {"email": "b@x.org"}, {"email": "c@x.org"}]
    result = MappingEngine(records, write)(context(EMAIL))
    assert (result.records_processed, result.records_created, result.records_failed) == (2, 1, 1)
    assert result.error_message is not None
    assert "'ok'" in result.error_message and '"created" or "updated"' in result.error_message
    assert len(written) == 2


def test_an_exception_from_read_propagates() -> None:
    def read(ctx: RunContext) -> list[dict[str, Any]]:
        raise ConnectionError("source down")

    with pytest.raises(ConnectionError, match="source down"):
        MappingEngine(read, Writer())(context(EMAIL))


def test_an_exception_while_records_are_taken_propagates() -> None:
    def read(ctx: RunContext) -> Iterator[dict[str, Any]]:
        yield {"email": "a@x.org"}
        raise ConnectionError("source down")

    writer = Writer()
    with pytest.raises(ConnectionError, match="source down"):
        MappingEngine(read, writer)(context(EMAIL))
    assert list(writer.rows) == ["a@x.org"]


def test_read_returning_no_iterable_is_a_clear_error() -> None:
    engine = MappingEngine(lambda ctx: 42, Writer())  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigurationTypeError, match="read returned a int"):
        engine(context(EMAIL))


def test_mapping_engine_refuses_unusable_parts() -> None:
    with pytest.raises(ConfigurationTypeError, match="read must be"):
        MappingEngine(42, Writer())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationTypeError, match="write must be a callable"):
        MappingEngine([], "rows")  # type: ignore[arg-type]


def test_mappings_that_cannot_apply_fail_the_run_before_reading() -> None:
    read_calls: list[RunContext] = []

    def read(ctx: RunContext) -> list[dict[str, Any]]:
        read_calls.append(ctx)
        return [{"a": 1}]

    with pytest.raises(ValidationError) as caught:
        MappingEngine(read, Writer())(context(m("a", "b", TRANSFORM, expression="upper")))
    assert caught.value.issues[0].path == "fieldMappings[0].transformExpression"
    assert read_calls == []


# ---------------------------------------------------------------- add_field_mapping's checks

MAPPING = {"sourceField": "tier", "targetField": "plan", "mappingType": "LOOKUP"}


@pytest.mark.parametrize(
    ("change", "path", "code", "words"),
    [
        ({}, "lookupConfig", "required", "required"),
        ({"lookupConfig": ["g"]}, "lookupConfig", "invalid_lookup", "must be an object"),
        ({"lookupConfig": {"map": {}}}, "lookupConfig", "invalid_lookup", "empty"),
        ({"lookupConfig": {"map": "g"}}, "lookupConfig", "invalid_lookup", "not a string"),
        ({"lookupConfig": {"default": 1}}, "lookupConfig", "invalid_lookup", 'needs a "map"'),
        (
            {"lookupConfig": {"sourceObject": "crm", "lookupField": "id", "returnField": "n"}},
            "lookupConfig",
            "invalid_lookup",
            "is not supported",
        ),
        (
            {"mappingType": "DIRECT", "lookupConfig": {"map": {"g": 1}, "else": 2}},
            "lookupConfig",
            "invalid_lookup",
            "unknown key 'else'",
        ),
        (
            {"mappingType": "DIRECT", "sourceField": "a..b"},
            "sourceField",
            "invalid_path",
            "empty segment",
        ),
        (
            {"mappingType": "DIRECT", "targetField": "plan."},
            "targetField",
            "invalid_path",
            "empty segment",
        ),
    ],
)
def test_add_field_mapping_refuses_what_the_engine_cannot_apply(
    change: dict[str, Any], path: str, code: str, words: str
) -> None:
    with SyncHub("memory://") as hub:
        config = hub.create_sync_config(VALID_INPUT, actor=USER)
        before = counts(hub)
        with pytest.raises(ValidationError) as caught:
            hub.add_field_mapping({**MAPPING, "syncConfigId": config.id, **change}, actor=USER)
        assert [(i.path, i.code) for i in caught.value.issues] == [(path, code)]
        assert words in caught.value.issues[0].message
        assert counts(hub) == before
        assert hub.get_sync_config(config.id, actor=USER).field_mappings == ()


def test_source_paths_of_mappings_that_do_not_read_them_are_free() -> None:
    for kind, extra in (
        ("CONSTANT", {"constantValue": 1}),
        ("COMPUTED", {"transformExpression": "${a}"}),
    ):
        data = {
            **MAPPING,
            "syncConfigId": "s",
            "mappingType": kind,
            "sourceField": "(n/a).",
            **extra,
        }
        assert AddFieldMappingInput.from_dict(data).source_field == "(n/a)."


def test_a_lookup_added_through_the_hub_runs_in_the_engine() -> None:
    with SyncHub("memory://") as hub:
        config = hub.create_sync_config(VALID_INPUT, actor=USER)
        hub.add_field_mapping(
            {
                **MAPPING,
                "syncConfigId": config.id,
                "lookupConfig": {"map": {"g": "gold"}, "default": "basic"},
                "isRequired": True,
            },
            actor=USER,
        )
        hub.add_field_mapping(
            sync_config_id=config.id,
            source_field="-",
            target_field="label",
            mapping_type="COMPUTED",
            transform_expression="${first} ${last}",
            actor=USER,
        )
        stored = hub.get_sync_config(config.id, actor=USER)
    rows: list[dict[str, Any]] = []

    def write(record: dict[str, Any], ctx: RunContext) -> str:
        rows.append(record)
        return "created"

    ctx = RunContext(run=attrs.evolve(RUN, sync_config_id=stored.id), config=stored)
    records = [{"tier": "g", "first": "Ada", "last": "L"}, {"tier": "x"}, {}]
    result = MappingEngine(records, write)(ctx)
    assert result == SyncResult(records_processed=3, records_created=2, records_failed=1)
    assert rows == [{"plan": "gold", "label": "Ada L"}, {"plan": "basic", "label": None}]
