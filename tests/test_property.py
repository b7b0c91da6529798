"""For arbitrary JSON-like input, create either succeeds completely or changes nothing."""

import json
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_sdk import SyncConfig, SyncDirection, SyncHub, ValidationError, signals
from sync_sdk.events import EventEnvelope
from sync_sdk.models import FieldMapping, MappingType

from .conftest import BACKENDS, USER, VALID_INPUT, counts, storage_url

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
field_values = (
    st.text(max_size=12)
    | st.sampled_from(
        [
            "INBOUND",
            "OUTBOUND",
            "BIDIRECTIONAL",
            "outbound",
            "@daily",
            "*/5 * * * *",
            "0 0 * * * *",
            " ",
            "\x00",
            "x" * 1025,
        ]
    )
    | json_values
)
wire_keys = st.sampled_from(
    [*VALID_INPUT, "scheduleEnabled", "scheduleCron", "sourceConnectionId", "status"]
)
# mostly near-valid inputs (so that both outcomes occur), sometimes anything at all
inputs = (
    st.dictionaries(wire_keys, field_values, max_size=4).map(lambda d: {**VALID_INPUT, **d})
    | st.dictionaries(wire_keys, field_values, max_size=9)
    | json_values
)


def _property(hub: SyncHub, data: Any) -> bool:
    got: list[EventEnvelope] = []

    def record(sender: object, *, event: EventEnvelope) -> None:
        got.append(event)

    before = counts(hub)
    with signals.sync_config_created.connected_to(record, sender=hub):
        try:
            cfg = hub.create_sync_config(data, actor=USER)
        except ValidationError as err:
            assert err.issues
            assert counts(hub) == before
            assert got == []
            return False
    assert isinstance(cfg, SyncConfig)
    assert counts(hub) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert [e.payload for e in got] == [cfg]
    return True


@pytest.mark.parametrize("backend", BACKENDS)
def test_create_is_all_or_nothing_for_any_input(backend: str, tmp_path: Path) -> None:
    seen: set[bool] = set()
    with SyncHub(storage_url(backend, tmp_path)) as hub:

        @settings(max_examples=200, deadline=None)
        @given(inputs)
        def check(data: Any) -> None:
            seen.add(_property(hub, data))

        check()
    # both outcomes were exercised: the property is not vacuous
    assert seen == {True, False}


texts = st.text(max_size=20)  # any code point, escapes and surrogates included
field_mappings = st.builds(
    FieldMapping,
    id=texts,
    source_field=texts,
    target_field=texts,
    mapping_type=st.sampled_from(MappingType),
    is_required=st.booleans(),
    transform_expression=st.none() | texts,
)
configs = st.builds(
    SyncConfig,
    id=texts,
    integration_id=texts,
    connection_id=texts,
    name=texts,
    direction=st.sampled_from(SyncDirection),
    source_object=texts,
    target_object=texts,
    schedule_enabled=st.booleans(),
    schedule_cron=st.none() | texts,
    is_active=st.booleans(),
    last_sync_at=st.none() | st.datetimes(timezones=st.just(UTC)),
    field_mappings=st.lists(field_mappings, max_size=3).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(configs)
def test_to_json_is_json_dumps_of_the_wire_dict(config: SyncConfig) -> None:
    # The compiled encoder that writes outbox payloads is byte for byte the converter's output
    assert config.to_json() == json.dumps(config.to_dict(), separators=(",", ":"))
    assert SyncConfig.from_dict(json.loads(config.to_json())) == config
