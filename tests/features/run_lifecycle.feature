# Hand-written: the run lifecycle, which ContractSpec leaves to placeholders. Workers run the
# runs with the application's engine, schedules create them, users cancel runs and pause
# configs; time is the hub's clock, set and moved by the scenario.
@beyond_contract
Feature: sync runs that really run
  A run moves PENDING -> RUNNING -> COMPLETED, FAILED or CANCELLED, with its counts, times and
  events; a paused config runs nothing; a schedule fires once per slot; a run whose worker was
  lost is taken back: sync_sdk's promises for the run lifecycle.

  @integration_sync_trigger
  Scenario: a run completes: its counts, its times, the config's last sync, its event
    Given the time is "2026-01-01T12:00:00Z"
    And A sync run is pending
    And the engine completes with 3 records processed, 2 created, 1 updated and 0 failed
    When 2 minutes pass
    And a worker runs the pending syncs
    Then the sync run is COMPLETED
    And the sync run counts 3 processed, 2 created, 1 updated and 0 failed
    And the sync run started at "2026-01-01T12:02:00Z" and ended at "2026-01-01T12:02:00Z"
    And the sync config was last synced at "2026-01-01T12:02:00Z"
    And SyncCompleted event is sent for the sync run by the worker

  @integration_sync_trigger @integration_fieldMapping_add
  Scenario: a run maps the app's records with the config's field mappings
    Given User is authenticated
    And the time is "2026-01-01T12:00:00Z"
    And the sync config "sync-1" exists
    And the engine maps these records:
      """json
      [{"email": "ADA@EXAMPLE.COM", "plan": {"tier": "gold"}},
       {"email": "Grace@Example.com"},
       {"plan": {"tier": "silver"}}]
      """
    When User runs "integration.fieldMapping.add" with:
      """json
      {"syncConfigId": "sync-1", "sourceField": "email", "targetField": "contact.email",
       "mappingType": "TRANSFORM", "transformExpression": "lowercase", "isRequired": true}
      """
    And User runs "integration.fieldMapping.add" with:
      """json
      {"syncConfigId": "sync-1", "sourceField": "plan.tier", "targetField": "tier",
       "mappingType": "DIRECT", "defaultValue": "basic"}
      """
    And User triggers sync
    And 1 minute passes
    And a worker runs the pending syncs
    Then the sync run is COMPLETED
    And the records written are:
      """json
      [{"contact": {"email": "ada@example.com"}, "tier": "gold"},
       {"contact": {"email": "grace@example.com"}, "tier": "basic"}]
      """
    And the sync run counts 3 processed, 2 created, 0 updated and 1 failed
    And the sync config was last synced at "2026-01-01T12:01:00Z"
    And SyncCompleted event is sent for the sync run by the worker

  @integration_sync_trigger
  Scenario: a run fails: its error is the exception's type and text
    Given the time is "2026-01-01T12:00:00Z"
    And A sync run is pending
    And the engine fails with "RuntimeError: boom"
    When 1 minute passes
    And a worker runs the pending syncs
    Then the sync run has FAILED with the error "RuntimeError: boom"
    And the sync run started at "2026-01-01T12:01:00Z" and ended at "2026-01-01T12:01:00Z"
    And the sync config was never synced
    And SyncFailed event is sent for the sync run by the worker
    When User triggers sync
    Then Sync run starts

  @integration_syncRun_cancel
  Scenario: a running run is cancelled: its engine sees it, and the run ends CANCELLED
    Given the time is "2026-01-01T12:00:00Z"
    And A sync run is pending
    And the engine processes 2 records, then waits to be cancelled
    And a worker is running the sync run
    When User cancels the sync run
    Then the cancel returned the sync run still RUNNING
    When the worker finishes
    Then the sync run is CANCELLED
    And the engine saw the run cancelled
    And the sync run counts 2 processed, 2 created, 0 updated and 0 failed
    And the sync config was never synced
    And SyncCancelled event is sent for the sync run by the worker
    When User cancels the sync run
    Then Cancellation is refused

  @integration_syncRun_cancel
  Scenario: a pending run is cancelled at once, and no worker runs it
    Given the time is "2026-01-01T12:00:00Z"
    And A sync run is pending
    When User cancels the sync run
    Then Sync run is cancelled
    And SyncCancelled event is emitted
    When a worker runs the pending syncs
    Then the sync run is CANCELLED
    And the sync config was never synced

  @integration_syncConfig_update
  Scenario: a paused config refuses a trigger and its schedule runs nothing; resumed, it runs from the next slot
    Given the time is "2026-01-01T12:00:00Z"
    And a sync config scheduled "0 * * * *" exists
    When User pauses the sync config
    Then Sync config is paused
    When User triggers sync
    Then the call fails with Conflict
    And nothing is stored
    And no event is emitted
    When 70 minutes pass
    And the scheduler runs
    Then the scheduler created no run
    When User resumes the sync config
    Then Sync config is resumed
    When the scheduler runs
    Then the scheduler created no run
    When 1 hour passes
    And the scheduler runs
    Then the scheduler created a run for the slot "2026-01-01T14:00:00Z"
    And the sync config has 1 runs

  @integration_sync_trigger
  Scenario: a schedule fires once per slot, and slots missed meanwhile are not replayed
    Given the time is "2026-01-01T12:00:00Z"
    And a sync config scheduled "*/15 * * * *" exists
    When 20 minutes pass
    And the scheduler runs
    Then the scheduler created a run for the slot "2026-01-01T12:15:00Z"
    When the scheduler runs
    Then the scheduler created no run
    When a worker runs the pending syncs
    Then the sync run is COMPLETED
    When the scheduler runs
    Then the scheduler created no run
    When 50 minutes pass
    And the scheduler runs
    Then the scheduler created a run for the slot "2026-01-01T13:00:00Z"
    And the sync config has 2 runs

  @integration_sync_trigger
  Scenario: a run whose worker was lost is taken back once its lease runs out
    Given the time is "2026-01-01T12:00:00Z"
    And A sync run is pending
    And a worker dies while it runs the sync run
    When 4 minutes pass
    And a worker runs the pending syncs
    Then the sync run is RUNNING
    When 2 minutes pass
    And a worker runs the pending syncs
    Then the sync run has FAILED because its worker was lost
    And SyncFailed event is sent for the sync run by the worker
    When User triggers sync
    Then Sync run starts
    When a worker runs the pending syncs
    Then the sync run is COMPLETED
