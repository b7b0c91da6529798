"""Feature files generated from contracts: every acceptance scenario and example, runnable.

``render_feature(contract)`` is the Gherkin text of one contract; ``sync-sdk features`` writes one
file per registered contract to ``features/<key>.feature``, where the ``sync_sdk.testing`` pytest
plugin runs them against the real SDK::

    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> text = render_feature(CREATE_SYNC_CONFIG)
    >>> scenario = text[text.index("  Scenario: create-sync"):text.index("  @acceptance_example")]
    >>> print(scenario.rstrip())
      Scenario: create-sync-happy-path
        Given User is authenticated
        When User creates sync config
        Then Sync config is created
        And SyncConfigCreated event is emitted

A scenario's lines are the contract's strings verbatim. An example becomes a scenario whose input
and expected output are JSON doc strings in the file; its steps are the phrases below, which the
plugin defines (so the generator and the step library share one spelling of each). Literal ids
are pinned per operation: an output ``id`` is the id the hub gives the entity that operation
creates (``the next field mapping id is "map-456"``), and an input naming a sync config
(``"syncConfigId": "sync-123"``) gets a Given that creates that config, with that id, first::

    >>> from sync_sdk.contracts import TRIGGER_SYNC
    >>> text = render_feature(TRIGGER_SYNC)
    >>> start = text.index("  Scenario: manual-trigger")
    >>> print(text[start:text.index(" with:", start) + 6])
      Scenario: manual-trigger
        Given User is authenticated
        And the sync config "sync-123" exists
        And the next sync run id is "run-789"
        When User runs "integration.sync.trigger" with:

An output ``id`` that the input names is the entity the operation acts on, not one it creates:
it is not pinned, and the entity must exist first. An input naming a sync run
(``"syncRunId": "run-789"``) gets a Given that triggers that run, PENDING, of the config the
example names (its input's or output's ``syncConfigId``)::

    >>> from sync_sdk.contracts import CANCEL_SYNC_RUN
    >>> text = render_feature(CANCEL_SYNC_RUN)
    >>> start = text.index("  Scenario: cancel-pending\\n")
    >>> print(text[start:text.index(" with:", start) + 6])
      Scenario: cancel-pending
        Given User is authenticated
        And the sync run "run-789" of the sync config "sync-123" exists
        When User runs "integration.syncRun.cancel" with:

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from sync_sdk.contracts.generated import (
    GeneratedFile,
    check_generated,
    marker_line,
    write_generated,
)
from sync_sdk.contracts.registry import parse_semver
from sync_sdk.contracts.spec import Example, OperationContract, Scenario

__all__ = [
    "ACCEPTANCE_EXAMPLE_TAG",
    "ACCEPTANCE_SCENARIO_TAG",
    "AUDIT_STEP",
    "AUTH_STEPS",
    "BEYOND_CONTRACT_TAG",
    "CONFIG_EXISTS_STEP",
    "CONFIG_INPUT_KEY",
    "CONTRACT_TAG",
    "EVENT_STEP",
    "FEATURES_COMMAND",
    "NO_AUDIT_STEP",
    "NO_EVENT_STEP",
    "OUTPUT_STEP",
    "PIN_ID_STEP",
    "RUN_EXISTS_STEP",
    "RUN_INPUT_KEY",
    "RUN_OF_CONFIG_EXISTS_STEP",
    "RUN_STEP",
    "check_features",
    "entity_name",
    "event_phrase_name",
    "feature_files",
    "latest_by_key",
    "operation_marker",
    "render_feature",
    "scenario_steps",
    "version_marker",
    "write_features",
]

#: The command that regenerates the feature files (named by the drift check).
FEATURES_COMMAND = "sync-sdk features"

#: Tags (pytest markers) of the generated features, and of our own features beyond the contract.
CONTRACT_TAG = "contract"
ACCEPTANCE_SCENARIO_TAG = "acceptance_scenario"
ACCEPTANCE_EXAMPLE_TAG = "acceptance_example"
BEYOND_CONTRACT_TAG = "beyond_contract"

#: The Given line of an example, by ``policy.auth``.
AUTH_STEPS = {
    "user": "User is authenticated",
    "admin": "User is an admin",
    "anonymous": "User is not authenticated",
}
#: Pins the id the hub gives the next entity of a kind (:func:`entity_name` of the operation's
#: output model), so that an example's literal id can be compared.
PIN_ID_STEP = 'the next {entity} id is "{entity_id}"'
#: The input key that names a sync config; an example giving one gets :data:`CONFIG_EXISTS_STEP`.
CONFIG_INPUT_KEY = "syncConfigId"
#: Creates a sync config with that id (pinned as above), for an example whose input names one.
CONFIG_EXISTS_STEP = 'the sync config "{config_id}" exists'
#: The input key that names a sync run; an example giving one gets a Given that triggers it.
RUN_INPUT_KEY = "syncRunId"
#: Triggers a PENDING run with that id (pinned) of the config of that id (created first unless
#: a step did), for an example whose input names a run and that names its config.
RUN_OF_CONFIG_EXISTS_STEP = 'the sync run "{run_id}" of the sync config "{config_id}" exists'
#: The same, of a new config, for an example that names no config.
RUN_EXISTS_STEP = 'the sync run "{run_id}" exists'
#: The When line of every example: the operation, run by its key with the doc string's input.
RUN_STEP = 'User runs "{key}" with:'
#: Compares every key of the JSON doc string with the real output.
OUTPUT_STEP = "the output matches:"
#: One per key of ``side_effects.audit``.
AUDIT_STEP = 'an audit record "{audit_key}" is written'
#: One per event of ``side_effects.emits``; ``event_name`` is :func:`event_phrase_name` of its key.
EVENT_STEP = "{event_name} event is emitted"
#: For a contract that declares no audit key, and one that declares no event.
NO_AUDIT_STEP = "no audit record is written"
NO_EVENT_STEP = "no event is emitted"


def _marker(text: str) -> str:
    return re.sub(r"\W", "_", text)


def operation_marker(contract: OperationContract) -> str:
    """The tag (a pytest marker name) of the operation.

    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> operation_marker(CREATE_SYNC_CONFIG)
    'integration_syncConfig_create'
    """
    return _marker(contract.key)


def version_marker(contract: OperationContract) -> str:
    """The tag (a pytest marker name) of the operation at its version.

    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> version_marker(CREATE_SYNC_CONFIG)
    'integration_syncConfig_create_v1_0_0'
    """
    return _marker(f"{contract.key}_v{contract.version}")


def event_phrase_name(key: str) -> str:
    """How a step names an event: its key without the domain, in PascalCase.

    >>> event_phrase_name("integration.syncConfig.created")
    'SyncConfigCreated'
    """
    parts = key.split(".")
    if len(parts) > 2:  # the first part is the domain ("integration"), not the event's name
        parts = parts[1:]
    return "".join(part[:1].upper() + part[1:] for part in parts)


def entity_name(model: type) -> str:
    """How a step names the entity a model is: its class name in lower-case words.

    >>> from sync_sdk.models import FieldMapping
    >>> entity_name(FieldMapping)
    'field mapping'
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", model.__name__).lower()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _steps(keyword: str, lines: Iterable[str]) -> list[str]:
    return [f"    {keyword if i == 0 else 'And'} {line}" for i, line in enumerate(lines)]


def scenario_steps(scenario: Scenario) -> list[str]:
    """The scenario's lines as Gherkin steps (keywords, then ``And``), the contract's verbatim.

    >>> from sync_sdk.contracts import CREATE_SYNC_CONFIG
    >>> scenario_steps(CREATE_SYNC_CONFIG.acceptance.scenarios[0])[-1]
    'And SyncConfigCreated event is emitted'
    """
    return [
        line.strip()
        for keyword, lines in (
            ("Given", scenario.given),
            ("When", scenario.when),
            ("Then", scenario.then),
        )
        for line in _steps(keyword, lines)
    ]


def _doc_string(value: object) -> list[str]:
    body = json.dumps(value, indent=2, ensure_ascii=False)
    return ['      """json', *(f"      {line}" for line in body.splitlines()), '      """']


def _scenario(scenario: Scenario) -> list[str]:
    return [
        f"  @{ACCEPTANCE_SCENARIO_TAG}",
        f"  Scenario: {scenario.key}",
        *(f"    {line}" for line in scenario_steps(scenario)),
    ]


def _existing(example: Example) -> list[str]:
    """The Given lines that make the entities the example's input names exist: its sync config
    (``syncConfigId``), and its sync run (``syncRunId``) of the config the example names."""
    config_id = example.input.get(CONFIG_INPUT_KEY)
    run_id = example.input.get(RUN_INPUT_KEY)
    given = []
    if isinstance(config_id, str):
        given.append(CONFIG_EXISTS_STEP.format(config_id=config_id))
    if isinstance(run_id, str):
        run_config = (
            config_id if isinstance(config_id, str) else example.output.get(CONFIG_INPUT_KEY)
        )
        if isinstance(run_config, str):
            given.append(RUN_OF_CONFIG_EXISTS_STEP.format(run_id=run_id, config_id=run_config))
        else:
            given.append(RUN_EXISTS_STEP.format(run_id=run_id))
    return given


def _names(data: Mapping[str, object]) -> set[object]:
    """The ids an input names (values of ``id`` and ``...Id`` keys)."""
    return {value for key, value in data.items() if key == "id" or key.endswith("Id")}


def _example(contract: OperationContract, example: Example) -> list[str]:
    given = [AUTH_STEPS[contract.policy.auth], *_existing(example)]
    output_id = example.output.get("id")
    # an id the input names is the entity the operation acts on, made by _existing; any other
    # is the entity the operation creates
    if isinstance(output_id, str) and output_id not in _names(example.input):
        entity = entity_name(contract.io.output)
        given.append(PIN_ID_STEP.format(entity=entity, entity_id=output_id))
    side_effects = contract.side_effects
    # what the contract declares, or that there is none of it
    then_after = [
        *([AUDIT_STEP.format(audit_key=key) for key in side_effects.audit] or [NO_AUDIT_STEP]),
        *(
            [EVENT_STEP.format(event_name=event_phrase_name(e.key)) for e in side_effects.emits]
            or [NO_EVENT_STEP]
        ),
    ]
    return [
        f"  @{ACCEPTANCE_EXAMPLE_TAG}",
        f"  Scenario: {example.key}",
        *_steps("Given", given),
        f"    When {RUN_STEP.format(key=contract.key)}",
        *_doc_string(example.input),
        f"    Then {OUTPUT_STEP}",
        *_doc_string(example.output),
        *_steps("And", then_after),
    ]


def render_feature(contract: OperationContract) -> str:
    """The feature file of ``contract``: its scenarios verbatim, then one scenario per example."""
    meta = contract.meta
    tags = " ".join(
        f"@{t}" for t in (CONTRACT_TAG, operation_marker(contract), version_marker(contract))
    )
    lines = [
        marker_line(".feature", contract.key, contract.version),
        f"# Do not edit: change the contract in sync_sdk.contracts, then run `{FEATURES_COMMAND}`.",
        tags,
        f"Feature: {contract.key} v{contract.version}",
        # Labelled, one line each: a free-text line starting with a Gherkin keyword would be
        # parsed as a step or a scenario.
        f"  Description: {_one_line(meta.description)}",
        f"  Goal: {_one_line(meta.goal)}",
        f"  Context: {_one_line(meta.context)}",
    ]
    for scenario in contract.acceptance.scenarios:
        lines += ["", *_scenario(scenario)]
    for example in contract.acceptance.examples:
        lines += ["", *_example(contract, example)]
    return "\n".join(lines) + "\n"


def latest_by_key(contracts: Iterable[OperationContract] | None = None) -> list[OperationContract]:
    """The highest version of each contract key (default: of every registered contract).

    >>> sorted({c.version for c in latest_by_key()})
    ['1.0.0']
    """
    if contracts is None:
        from sync_sdk.contracts import registry

        contracts = registry
    by_key: dict[str, OperationContract] = {}
    for contract in contracts:
        kept = by_key.get(contract.key)
        if kept is None or _semver(contract) > _semver(kept):
            by_key[contract.key] = contract
    return list(by_key.values())


def _semver(contract: OperationContract) -> tuple[object, ...]:
    return parse_semver(contract.version) or (0, 0, 0, ())


def feature_files(contracts: Iterable[OperationContract] | None = None) -> list[GeneratedFile]:
    """One ``<key>.feature`` per contract key (default: every registered contract; the highest
    version of a key).

    >>> [f.name for f in feature_files()][:2]
    ['integration.connection.create.feature', 'integration.create.feature']
    """
    return [GeneratedFile(f"{c.key}.feature", render_feature(c)) for c in latest_by_key(contracts)]


def write_features(
    directory: str | Path = "features", contracts: Iterable[OperationContract] | None = None
) -> list[Path]:
    """Write the feature file of each contract into ``directory``; returns the paths.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     len(write_features(tmp))
    8
    """
    return write_generated(feature_files(contracts), directory, "*.feature")


def check_features(
    directory: str | Path = "features", contracts: Iterable[OperationContract] | None = None
) -> list[str]:
    """Why the feature files in ``directory`` are out of date (``[]`` when they are not).

    >>> check_features("/nonexistent")[0]
    'integration.connection.create.feature is missing: run `sync-sdk features` to generate it'
    """
    return check_generated(feature_files(contracts), directory, "*.feature", FEATURES_COMMAND)
