"""The sync_sdk.testing plugin as a user's project meets it: pytest in a fresh directory.

Each test writes a small project (a feature, a test module with only ``scenarios()``) and runs
pytest on it in a subprocess, as ``pip install sync_sdk`` users would. A project opts in by
loading the step library in its conftest.py and tagging its features ``@sync_sdk``; one that
does not must see no change at all.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sync_sdk.testing import StorageTarget, storage_targets

ROOT = Path(__file__).resolve().parents[1]

HAPPY = """\
@sync_sdk
Feature: a user's own feature, in the contract's phrases
  Scenario: a user creates a sync config
    Given User is authenticated
    When User creates sync config
    Then Sync config is created
    And SyncConfigCreated event is emitted
"""

ONLY_SCENARIOS = 'from pytest_bdd import scenarios\n\nscenarios("{}")\n'
# How a project opts in: its conftest.py loads the step library, a module marks its scenarios.
STEPS_CONFTEST = 'pytest_plugins = ["sync_sdk.testing.steps"]\n'
MARKED_SCENARIOS = (
    "import pytest\nfrom pytest_bdd import scenarios\n\npytestmark = pytest.mark.sync_sdk\n\n"
    'scenarios("{}")\n'
)


def run_pytest(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "SYNC_SDK_")) or k == "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
    }
    clean.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)  # the plugin comes by its entry point
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def outcomes(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    last = result.stdout.strip().splitlines()[-1]
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|error|skipped)", last)}


def project(tmp_path: Path, feature: str = HAPPY, test: str | None = None) -> Path:
    (tmp_path / "conftest.py").write_text(STEPS_CONFTEST)
    (tmp_path / "mine.feature").write_text(feature)
    (tmp_path / "test_mine.py").write_text(test or ONLY_SCENARIOS.format("mine.feature"))
    return tmp_path


def results(run: subprocess.CompletedProcess[str], module: str) -> dict[str, list[str]]:
    """outcome -> test ids (the part in brackets, or the name) of ``module``, from ``-rA``."""
    found: dict[str, list[str]] = {}
    for outcome, name in re.findall(rf"^(PASSED|FAILED|ERROR) {module}::(\S+)", run.stdout, re.M):
        found.setdefault(outcome, []).append(name)
    return found


TAGGED = "@contract @integration_syncConfig_create @integration_syncConfig_create_v1_0_0\n"
OTHER_FEATURE = (
    "Feature: other\n  Scenario: unrelated\n    Given a cucumber\n    Then it is green\n"
)
OTHER_STEPS = """\
from pytest_bdd import given, scenarios, then

scenarios("other.feature")


@given("a cucumber", target_fixture="cucumber")
def _():
    return "green"


@then("it is green")
def _(cucumber):
    assert cucumber == "green"
"""
PLAIN_TEST = """\
import pytest


@pytest.mark.sync_sdk
def test_hub(sync_hub, sync_actor, sync_config_input):
    config = sync_hub.create_sync_config(sync_config_input, actor=sync_actor)
    assert sync_hub.get_sync_config(config.id, actor=sync_actor) == config
"""
# Without "Given User is authenticated" the call is anonymous, and the contract refuses it.
UNMET = HAPPY.replace("    Given User is authenticated\n", "")
TABLES = """\
@sync_sdk
Feature: input and output as tables
  Scenario: a user creates a sync config from a table
    Given User is authenticated
    And the next sync config id is "sync-7"
    When User creates sync config with:
      | integrationId | connectionId | name  | direction | sourceObject | targetObject |
      | int-7         | conn-7       | Leads | INBOUND   | leads        | leads        |
    Then the output matches:
      | key             | value   |
      | id              | sync-7  |
      | name            | Leads   |
      | scheduleEnabled | false   |
      | scheduleCron    | null    |
    And Sync config is created
"""
UNDEFINED = HAPPY.replace("Then Sync config is created", "Then Sync config is archived")


@pytest.fixture(scope="module")
def user_project(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """One pytest run of a user's project, with --strict-markers: the contract's phrases in a
    tagged feature, a plain test using sync_hub, another step library, an unmet step and a
    phrase that has no definition."""
    root = tmp_path_factory.mktemp("user_project")
    files = {
        "conftest.py": STEPS_CONFTEST,
        "create.feature": TAGGED + HAPPY,
        "test_create.py": ONLY_SCENARIOS.format("create.feature"),
        "test_hub.py": PLAIN_TEST,
        "other.feature": OTHER_FEATURE,
        "test_other.py": OTHER_STEPS,
        "unmet.feature": UNMET,
        "test_unmet.py": ONLY_SCENARIOS.format("unmet.feature"),
        "tables.feature": TABLES,
        "test_tables.py": ONLY_SCENARIOS.format("tables.feature"),
        "undefined.feature": UNDEFINED,
        "test_undefined.py": ONLY_SCENARIOS.format("undefined.feature"),
    }
    for name, text in files.items():
        (root / name).write_text(text)
    return run_pytest(root, "-rA", "--strict-markers")


BACKENDS = ["memory", "sqlite-memory", "sqlite-file"]


def test_a_users_feature_runs_with_only_scenarios(
    user_project: subprocess.CompletedProcess[str],
) -> None:
    assert results(user_project, "test_create.py") == {
        "PASSED": [f"test_a_user_creates_a_sync_config[{b}]" for b in BACKENDS]
    }, user_project.stdout
    assert "PytestUnknownMarkWarning" not in user_project.stdout  # the tags are registered


def test_input_and_output_as_tables(user_project: subprocess.CompletedProcess[str]) -> None:
    assert results(user_project, "test_tables.py") == {
        "PASSED": [f"test_a_user_creates_a_sync_config_from_a_table[{b}]" for b in BACKENDS]
    }, user_project.stdout


def test_a_phrase_without_a_definition_fails_the_run(
    user_project: subprocess.CompletedProcess[str],
) -> None:
    assert user_project.returncode == 1
    assert results(user_project, "test_undefined.py") == {
        "FAILED": [f"test_a_user_creates_a_sync_config[{b}]" for b in BACKENDS]
    }
    assert 'Step definition is not found: Then "Sync config is archived"' in user_project.stdout
    assert outcomes(user_project) == {"passed": 10, "failed": 6}  # nothing skipped


def test_a_step_that_is_not_met_fails(user_project: subprocess.CompletedProcess[str]) -> None:
    assert results(user_project, "test_unmet.py") == {
        "FAILED": [f"test_a_user_creates_a_sync_config[{b}]" for b in BACKENDS]
    }
    assert (
        "AssertionError: no sync config was created: "
        "User creates sync config raised AuthenticationRequired"
    ) in user_project.stdout


def test_a_plain_test_using_sync_hub_runs_per_backend(
    user_project: subprocess.CompletedProcess[str],
) -> None:
    assert results(user_project, "test_hub.py") == {"PASSED": [f"test_hub[{b}]" for b in BACKENDS]}


def test_other_step_libraries_are_left_alone(
    user_project: subprocess.CompletedProcess[str],
) -> None:
    # not once per storage target
    assert results(user_project, "test_other.py") == {"PASSED": ["test_unrelated"]}


def test_listing_the_plugin_in_pytest_plugins_too_is_harmless(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["sync_sdk.testing", "sync_sdk.testing.steps",'
        ' "sync_sdk.testing.plugin"]\n'
    )
    result = run_pytest(tmp_path)
    assert outcomes(result) == {"passed": 3}, result.stdout + result.stderr


def collected_ids(result: subprocess.CompletedProcess[str]) -> list[str]:
    return re.findall(r"\[([^\]]+)\]$", result.stdout, flags=re.MULTILINE)


def test_storage_is_chosen_by_option_or_environment(tmp_path: Path) -> None:
    project(tmp_path)
    postgres = {"SYNC_SDK_TEST_POSTGRES_URL": "postgresql://app:s3cret@127.0.0.1:1/sync"}
    by_option = run_pytest(
        tmp_path,
        "--collect-only",
        "--sync-sdk-storage",
        "memory",
        "--sync-sdk-storage",
        "sqlite://",
        env=postgres,
    )
    if importlib.util.find_spec("psycopg") is not None:
        assert collected_ids(by_option) == ["memory", "sqlite-memory", "postgresql"]
    else:  # without the postgres extra, a PostgreSQL target stops the run, naming the extra
        assert by_option.returncode == 4
        assert "postgres extra" in by_option.stdout + by_option.stderr
    assert "s3cret" not in by_option.stdout + by_option.stderr
    by_env = run_pytest(
        tmp_path, "--collect-only", env={"SYNC_SDK_TEST_STORAGE_URLS": "sqlite-file, memory"}
    )
    assert collected_ids(by_env) == ["sqlite-file", "memory"]


def test_a_target_that_cannot_open_errors_rather_than_skips(tmp_path: Path) -> None:
    project(tmp_path)
    unopenable = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    result = run_pytest(tmp_path, "--sync-sdk-storage", unopenable)
    assert result.returncode == 1
    assert outcomes(result) == {"failed": 1}  # the steps open the hub: it fails in the call
    assert "StorageError" in result.stdout


def test_features_pass_twice_on_one_shared_store(tmp_path: Path) -> None:
    """A shared store keeps the rows of earlier runs: scenarios must not depend on an empty one
    (this is how a PostgreSQL server in CI is used)."""
    for source in [
        *ROOT.joinpath("features").glob("*.feature"),
        *ROOT.joinpath("tests", "features").glob("*.feature"),
    ]:
        shutil.copy(source, tmp_path)
    (tmp_path / "conftest.py").write_text(STEPS_CONFTEST)
    (tmp_path / "test_all.py").write_text(MARKED_SCENARIOS.format("."))
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    for _ in range(2):
        result = run_pytest(tmp_path, "--sync-sdk-storage", shared, "-p", "no:randomly")
        assert result.returncode == 0, result.stdout[-3000:]
        assert outcomes(result) == {"passed": 131}


def test_cucumber_json_report(tmp_path: Path) -> None:
    shutil.copy(ROOT / "features" / "integration.syncConfig.create.feature", tmp_path)
    (tmp_path / "conftest.py").write_text(STEPS_CONFTEST)
    (tmp_path / "test_contract.py").write_text(MARKED_SCENARIOS.format("."))
    report = tmp_path / "reports" / "cucumber.json"
    report.parent.mkdir()
    result = run_pytest(tmp_path, f"--cucumberjson={report}")
    assert result.returncode == 0, result.stdout
    (feature,) = json.loads(report.read_text())
    assert feature["name"] == "integration.syncConfig.create v1.0.0"
    assert {t["name"] for t in feature["tags"]} == {
        "contract",
        "integration_syncConfig_create",
        "integration_syncConfig_create_v1_0_0",
    }
    names = sorted(e["name"] for e in feature["elements"])
    assert names == ["create-contact-sync"] * 3 + ["create-sync-happy-path"] * 3
    happy = next(e for e in feature["elements"] if e["name"] == "create-sync-happy-path")
    assert [(s["keyword"], s["name"]) for s in happy["steps"]] == [
        ("Given", "User is authenticated"),
        ("When", "User creates sync config"),
        ("Then", "Sync config is created"),
        ("And", "SyncConfigCreated event is emitted"),
    ]
    statuses = {s["result"]["status"] for e in feature["elements"] for s in e["steps"]}
    assert statuses == {"passed"}


def test_the_plugin_is_a_pytest11_entry_point() -> None:
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="pytest11") if e.value.startswith("sync_sdk")]
    assert (entry.name, entry.value) == ("sync_sdk.testing", "sync_sdk.testing")
    assert entry.load().pytest_plugins == ["sync_sdk.testing.plugin"]  # not the steps


# -- storage targets, without pytest ----------------------------------------------------------


def test_storage_targets() -> None:
    assert storage_targets(None, {}) == [
        StorageTarget("memory", "memory"),
        StorageTarget("sqlite-memory", "sqlite-memory"),
        StorageTarget("sqlite-file", "sqlite-file"),
    ]
    multi_host = "postgresql://u:pw@h1:5432,h2:5432/db"
    env = {"SYNC_SDK_TEST_STORAGE_URLS": f"memory,{multi_host}, sqlite:///a.db,sqlite:///b.db"}
    assert storage_targets(None, env) == [
        StorageTarget("memory", "memory"),
        StorageTarget("postgresql", multi_host),
        StorageTarget("sqlite", "sqlite:///a.db"),
        StorageTarget("sqlite-2", "sqlite:///b.db"),
    ]
    env = {"SYNC_SDK_TEST_POSTGRES_URL": multi_host}
    assert [t.url for t in storage_targets([multi_host, "memory"], env)] == [multi_host, "memory"]


def test_private_and_shared_targets(tmp_path: Path) -> None:
    private = [
        "memory",
        "sqlite-memory",
        "sqlite-file",
        "memory://",
        "sqlite://",
        "sqlite:///:memory:",
    ]
    for url in private:
        assert StorageTarget("x", url).private, url
    for url in ("sqlite:///shared.db", "postgresql://db/x"):
        assert not StorageTarget("x", url).private, url
    resolved = StorageTarget("sqlite-file", "sqlite-file").resolve(lambda: tmp_path)
    assert resolved == f"sqlite:///{tmp_path}/sync_sdk.db"


# -- a project that does not opt in sees no change ----------------------------------------------


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A user's project, run by ``runpytest_subprocess`` (the plugin comes by its entry point),
    without this run's sync_sdk settings."""
    for name in list(os.environ):
        if name.startswith("SYNC_SDK_") or name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    return pytester


USERS_OWN_STEPS = """
from pytest_bdd import given, scenarios, then

scenarios("mine.feature")


@given("User is authenticated", target_fixture="signed_in")
def _():
    return "the user's own step"


@then("the user's step ran")
def _(signed_in):
    assert signed_in == "the user's own step"
"""


def test_a_users_own_sync_storage_fixture_is_left_alone(user: pytest.Pytester) -> None:
    user.makeconftest(
        """
        import pytest

        @pytest.fixture
        def sync_storage():
            return "the user's"
        """
    )
    user.makepyfile(
        test_mine='def test_mine(sync_storage):\n    assert sync_storage == "the user\'s"\n'
    )
    result = user.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=1)  # once, not once per storage target
    result.stdout.fnmatch_lines(["PASSED test_mine.py::test_mine"])


def test_a_users_scenario_in_our_phrases_runs_once_with_the_users_step(
    user: pytest.Pytester,
) -> None:
    user.makefile(
        ".feature",
        mine="Feature: mine\n  Scenario: signed in\n"
        "    Given User is authenticated\n    Then the user's step ran\n",
    )
    user.makepyfile(test_mine=USERS_OWN_STEPS)
    result = user.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["PASSED test_mine.py::test_signed_in"])


def test_a_step_nobody_defined_fails_as_pytest_bdd_fails_it(user: pytest.Pytester) -> None:
    user.makefile(
        ".feature",
        mine="Feature: mine\n  Scenario: forgot a step\n    Given User is authenticated\n"
        "    Then Sync config is created\n    And the user's step ran\n",
    )
    user.makepyfile(test_mine=USERS_OWN_STEPS)
    result = user.runpytest_subprocess("-rA")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*StepDefinitionNotFoundError: Step definition is not found:"
            ' Then "Sync config is created"*'
        ]
    )
    assert "no call was made" not in result.stdout.str()


def test_a_bad_storage_value_stops_the_run_at_startup(user: pytest.Pytester) -> None:
    user.makepyfile(test_mine="def test_mine():\n    pass\n")
    result = user.runpytest_subprocess("--sync-sdk-storage", "nosuchdb://app:s3cret@127.0.0.1:1/x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --sync-sdk-storage: 'nosuchdb://app:***@127.0.0.1:1/x' is not a storage target*"]
    )
    assert "s3cret" not in result.stdout.str() + result.stderr.str()
    result = user.runpytest_subprocess("--sync-sdk-storage", "memroy")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --sync-sdk-storage: 'memroy' is not a storage target*"])


# -- a project that opts in ---------------------------------------------------------------------


def test_a_users_step_wins_over_ours_in_an_opted_in_scenario(user: pytest.Pytester) -> None:
    user.makeconftest(
        """
        from pytest_bdd import given, then, parsers
        from sync_sdk import Actor

        pytest_plugins = ["sync_sdk.testing.steps"]


        @given("User is authenticated")
        def _(sync_scenario):
            sync_scenario.caller = Actor(id="the-users-own", org_id=sync_scenario.actor.org_id)


        @then(parsers.parse('the config was created by "{actor_id}"'))
        def _(sync_scenario, actor_id):
            assert sync_scenario.created()[1].id == actor_id
        """
    )
    user.makefile(
        ".feature",
        mine="@sync_sdk\nFeature: mine\n  Scenario: created by the user's actor\n"
        "    Given User is authenticated\n    When User creates sync config\n"
        "    Then Sync config is created\n"
        '    And the config was created by "the-users-own"\n',
    )
    user.makepyfile(test_mine=ONLY_SCENARIOS.format("mine.feature"))
    result = user.runpytest_subprocess("-rA", "--strict-markers")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [f"PASSED test_mine.py::test_created_by_the_users_actor[[]{b}[]]" for b in BACKENDS]
    )


def test_a_test_using_the_fixtures_without_the_marker_is_told_how_to_opt_in(
    user: pytest.Pytester,
) -> None:
    user.makepyfile(test_mine="def test_mine(sync_hub):\n    pass\n")
    result = user.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_mine.py::test_mine uses the sync_sdk fixtures but is not marked sync_sdk: "
            "mark it @pytest.mark.sync_sdk*"
        ]
    )
