# Hand-written: what the contract integration.syncConfig.create does not say but users rely on.
# The contract's own scenarios and examples are generated into features/ (sync-sdk features).
@beyond_contract @integration_syncConfig_create
Feature: integration.syncConfig.create beyond the contract
  Strict input, an enforced policy, idempotent retries, org isolation and subscribers that
  cannot undo a write: sync_sdk's promises beyond what ContractSpec's contract declares.

  Scenario Outline: bad input is rejected, naming the field: <case>
    Given User is authenticated
    When User creates sync config with <field> set to <value>
    Then the call fails with ValidationError
    And only the issue "<code>" is reported at "<path>"
    And nothing is stored
    And no event is emitted

    Examples: missing fields (null counts as missing)
      | case                      | field         | value     | path          | code     |
      | no integrationId          | integrationId | (missing) | integrationId | required |
      | no connectionId           | connectionId  | (missing) | connectionId  | required |
      | no name                   | name          | (missing) | name          | required |
      | null direction            | direction     | null      | direction     | required |
      | no targetObject           | targetObject  | (missing) | targetObject  | required |
      | schedule without its cron | scheduleEnabled | true    | scheduleCron  | required |

    Examples: wrong types, never coerced
      | case                     | field           | value  | path            | code         |
      | name as a number         | name            | 42     | name            | invalid_type |
      | scheduleEnabled "true"   | scheduleEnabled | "true" | scheduleEnabled | invalid_type |
      | scheduleEnabled 1        | scheduleEnabled | 1      | scheduleEnabled | invalid_type |
      | direction as a number    | direction       | 1      | direction       | invalid_type |
      | sourceObject as a list   | sourceObject    | ["a"]  | sourceObject    | invalid_type |

    Examples: blank strings
      | case                             | field         | value    | path          | code  |
      | name of spaces                   | name          | "   "    | name          | blank |
      | empty integrationId              | integrationId | ""       | integrationId | blank |
      | zero-width space as targetObject | targetObject  | "\u200b" | targetObject  | blank |
      | tab as sourceObject              | sourceObject  | "\t"     | sourceObject  | blank |

    Examples: unknown keys are rejected, not stripped
      | case                          | field              | value    | path               | code          |
      | the seed's sourceConnectionId | sourceConnectionId | "conn-1" | sourceConnectionId | unknown_field |
      | the seed's targetConnectionId | targetConnectionId | "conn-2" | targetConnectionId | unknown_field |
      | the seed's status             | status             | "active" | status             | unknown_field |

    Examples: enum values are exact
      | case                  | field     | value      | path      | code         |
      | lower-case direction  | direction | "outbound" | direction | invalid_enum |
      | unknown direction     | direction | "SIDEWAYS" | direction | invalid_enum |

    Examples: cron expressions are standard 5-field ones
      | case                   | field        | value          | path         | code         |
      | Quartz six fields      | scheduleCron | "0 0 12 * * ?" | scheduleCron | invalid_cron |
      | minute out of range    | scheduleCron | "61 * * * *"   | scheduleCron | invalid_cron |
      | Jenkins H              | scheduleCron | "H * * * *"    | scheduleCron | invalid_cron |
      | unknown macro          | scheduleCron | "@sometimes"   | scheduleCron | invalid_cron |
      | not a cron at all      | scheduleCron | "every day"    | scheduleCron | invalid_cron |

    Examples: cron expressions with another field count, or Quartz tokens
      | case                     | field        | value               | path         | code         |
      | a seconds field          | scheduleCron | "0 */5 * * * *"     | scheduleCron | invalid_cron |
      | seven fields with a year | scheduleCron | "0 0 12 1 1 * 2030" | scheduleCron | invalid_cron |
      | four fields              | scheduleCron | "0 12 * *"          | scheduleCron | invalid_cron |
      | Quartz L                 | scheduleCron | "0 0 L * *"         | scheduleCron | invalid_cron |
      | Quartz W                 | scheduleCron | "0 0 15W * *"       | scheduleCron | invalid_cron |
      | Quartz #                 | scheduleCron | "0 0 * * 1#2"       | scheduleCron | invalid_cron |
      | hour out of range        | scheduleCron | "0 24 * * *"        | scheduleCron | invalid_cron |
      | step of zero             | scheduleCron | "*/0 * * * *"       | scheduleCron | invalid_cron |

    Examples: strings of more than 1024 characters, or with NUL
      | case                            | field         | value             | path          | code               |
      | a 1025-character name           | name          | (1025 characters) | name          | too_long           |
      | a 1025-character integrationId  | integrationId | (1025 characters) | integrationId | too_long           |
      | a 1025-character sourceObject   | sourceObject  | (1025 characters) | sourceObject  | too_long           |
      | a 1025-character scheduleCron   | scheduleCron  | (1025 characters) | scheduleCron  | too_long           |
      | NUL in a name                   | name          | "a\u0000b"        | name          | invalid_characters |

  Scenario Outline: values at the limits are accepted: <case>
    Given User is authenticated
    When User creates sync config with <field> set to <value>
    Then Sync config is created
    And SyncConfigCreated event is emitted

    Examples: strings of up to 1024 characters
      | case                           | field         | value             |
      | a 1024-character name          | name          | (1024 characters) |
      | a 1024-character connectionId  | connectionId  | (1024 characters) |
      | a 1024-character targetObject  | targetObject  | (1024 characters) |
      | a one-character name           | name          | "x"               |
      | a name around spaces           | name          | " Contacts Sync " |

    Examples: standard 5-field cron expressions, names and macros
      | case                      | field        | value                   |
      | every 5 hours             | scheduleCron | "0 */5 * * *"           |
      | office hours              | scheduleCron | "*/15 9-17 * * MON-FRI" |
      | the last minute of a year | scheduleCron | "59 23 31 12 6"         |
      | a month name              | scheduleCron | "0 0 1 JAN *"           |
      | a macro                   | scheduleCron | "@daily"                |

    Examples: every direction
      | case          | field     | value           |
      | INBOUND       | direction | "INBOUND"       |
      | BIDIRECTIONAL | direction | "BIDIRECTIONAL" |

  Scenario: the seed's own example input is rejected with every problem at once
    Given User is authenticated
    When User creates sync config with:
      """json
      {"name": "Contacts Sync", "sourceConnectionId": "conn-1", "targetConnectionId": "conn-2"}
      """
    Then the call fails with ValidationError
    And the issues are:
      | path               | code          |
      | sourceConnectionId | unknown_field |
      | targetConnectionId | unknown_field |
      | integrationId      | required      |
      | connectionId       | required      |
      | direction          | required      |
      | sourceObject       | required      |
      | targetObject       | required      |
    And nothing is stored
    And no event is emitted

  Scenario: input that is not an object is rejected
    Given User is authenticated
    When User creates sync config with:
      """json
      ["Contacts Sync", "conn-1"]
      """
    Then the call fails with ValidationError
    And an issue "not_a_mapping" is reported at ""
    And nothing is stored
    And no event is emitted

  Scenario: a call without a user is refused
    Given User is not authenticated
    When User creates sync config
    Then the call fails with AuthenticationRequired
    And nothing is stored
    And no event is emitted

  Scenario Outline: a caller that is not an authenticated user is refused: <caller>
    Given the caller is <caller>
    When User creates sync config
    Then the call fails with AuthenticationRequired
    And nothing is stored
    And no event is emitted

    Examples:
      | caller                 |
      | the anonymous actor    |
      | a user without an org  |
      | a user with a blank id |

  Scenario: a retry with the same idempotency key returns the first config
    Given User is authenticated
    And the idempotency key "import-42"
    When User creates sync config
    And User creates sync config again
    Then both calls return the same config
    And Sync config is created
    And User's org has 1 sync config
    And SyncConfigCreated event is emitted

  Scenario: an idempotency key reused with another input is a conflict
    Given User is authenticated
    And the idempotency key "import-42"
    When User creates sync config
    And User creates sync config again with:
      """json
      {"integrationId": "int-1", "connectionId": "conn-1", "name": "Other Sync",
       "direction": "INBOUND", "sourceObject": "contacts", "targetObject": "contacts"}
      """
    Then the call fails with Conflict
    And nothing is stored
    And no event is emitted
    And User's org has 1 sync config

  Scenario: another org can neither read nor list the config
    Given User is authenticated
    When User creates sync config
    Then Sync config is created
    When a user of another org reads the sync config
    Then the call fails with NotFound
    And a user of another org lists no sync configs

  Scenario: a failing subscriber loses neither the config nor the other subscribers' event
    Given User is authenticated
    And a subscriber that fails on every event
    And a second subscriber
    When User creates sync config
    Then Sync config is created
    And SyncConfigCreated event is emitted
    And the failing subscriber was called
    And the second subscriber received the SyncConfigCreated event
    And the event stays pending for redelivery

  Scenario: a scheduled config keeps its cron expression
    Given User is authenticated
    When User creates sync config with:
      """json
      {"integrationId": "int-1", "connectionId": "conn-1", "name": "Nightly",
       "direction": "INBOUND", "sourceObject": "deals", "targetObject": "deals",
       "scheduleEnabled": true, "scheduleCron": "30 2 * * *"}
      """
    Then Sync config is created
    And the output matches:
      """json
      {"name": "Nightly", "direction": "INBOUND", "scheduleEnabled": true,
       "scheduleCron": "30 2 * * *", "isActive": true, "lastSyncAt": null, "fieldMappings": []}
      """
    And an audit record "integration.syncConfig.created" is written
    And SyncConfigCreated event is emitted

  Scenario: the input may be given as snake_case keywords
    Given User is authenticated
    When User creates sync config with keywords:
      | integration_id   | int-1         |
      | connection_id    | conn-1        |
      | name             | Contacts Sync |
      | direction        | OUTBOUND      |
      | source_object    | contacts      |
      | target_object    | contacts      |
      | schedule_enabled | true          |
      | schedule_cron    | 0 */6 * * *   |
    Then Sync config is created
    And SyncConfigCreated event is emitted

  Scenario: a config gets an id the hub draws, and its event goes out on the wire
    Given User is authenticated
    And the hub draws its own ids
    When User creates sync config
    Then Sync config is created
    And the output matches:
      """json
      {"name": "Contacts Sync", "direction": "OUTBOUND"}
      """
    And an audit record "integration.syncConfig.created" is written
    And SyncConfigCreated event is emitted
    And the SyncConfigCreated event's wire form and outbox row carry the config, its actor and its org
    And the event is marked delivered

  Scenario: a rejected input is reported as problem details
    Given User is authenticated
    When User creates sync config with name set to "   "
    Then the call fails with ValidationError
    And the problem details are:
      """json
      {"type": "urn:sync-sdk:problem:validation-failed", "title": "Validation failed",
       "status": 422, "code": "VALIDATION_FAILED", "issues": [{"path": "name", "code": "blank"}]}
      """

  Scenario: a refused caller is reported as problem details
    Given User is not authenticated
    When User creates sync config
    Then the call fails with AuthenticationRequired
    And the problem details are:
      """json
      {"type": "urn:sync-sdk:problem:unauthenticated", "title": "Authentication required",
       "status": 401, "code": "UNAUTHENTICATED", "issues": []}
      """

  Scenario: an idempotency conflict is reported as problem details
    Given User is authenticated
    And the idempotency key "import-7"
    When User creates sync config
    And User creates sync config again with:
      """json
      {"integrationId": "int-1", "connectionId": "conn-1", "name": "Other Sync",
       "direction": "OUTBOUND", "sourceObject": "contacts", "targetObject": "contacts"}
      """
    Then the call fails with Conflict
    And the problem details are:
      """json
      {"type": "urn:sync-sdk:problem:conflict", "title": "Conflict", "status": 409,
       "code": "CONFLICT", "issues": []}
      """

  Scenario: another org's config is reported as not found, in problem details
    Given User is authenticated
    When User creates sync config
    And a user of another org reads the sync config
    Then the call fails with NotFound
    And the problem details are:
      """json
      {"type": "urn:sync-sdk:problem:not-found", "title": "Not found", "status": 404,
       "code": "NOT_FOUND", "issues": []}
      """

  Scenario: a page of a listing counts the whole org
    Given User is authenticated
    And User has created 3 sync configs
    When User lists sync configs with limit 2 and offset 0
    Then the page holds sync configs 1 to 2, of 3 in total
    When User lists sync configs with limit 2 and offset 2
    Then the page holds sync configs 3 to 3, of 3 in total
    When User lists sync configs with limit 2 and offset 5
    Then the page holds no sync configs, of 3 in total
    When User lists sync configs
    Then the page holds sync configs 1 to 3, of 3 in total

  Scenario: a listing with a bad bound is rejected
    Given User is authenticated
    When User lists sync configs with limit 0 and offset 0
    Then the call fails with ValidationError
    When User lists sync configs with limit 2 and offset -1
    Then the call fails with ValidationError

  Scenario: a batch creates every config, each with its audit record and event
    Given User is authenticated
    And the hub draws its own ids
    When User creates sync configs in a batch of 3
    Then the sync configs are created
    And an audit record "integration.syncConfig.created" is written
    And SyncConfigCreated event is emitted
    And User's org has 3 sync configs
    And the event is marked delivered

  Scenario: one invalid item rejects the whole batch, naming its index
    Given User is authenticated
    When User creates sync configs in a batch:
      """json
      [{"integrationId": "int-1", "connectionId": "conn-1", "name": "Deals 1",
        "direction": "INBOUND", "sourceObject": "deals", "targetObject": "deals"},
       {"integrationId": "int-1", "connectionId": "conn-1", "name": " ",
        "direction": "INBOUND", "sourceObject": "deals", "targetObject": "deals"}]
      """
    Then the call fails with ValidationError
    And only the issue "blank" is reported at "[1].name"
    And nothing is stored
    And no event is emitted

  Scenario: an idempotency key of 1024 characters is kept
    Given User is authenticated
    And an idempotency key of 1024 characters
    When User creates sync config
    And User creates sync config again
    Then both calls return the same config
    And User's org has 1 sync config
    And SyncConfigCreated event is emitted

  Scenario: an idempotency key of 1025 characters is rejected
    Given User is authenticated
    And an idempotency key of 1025 characters
    When User creates sync config
    Then the call fails with ValidationError
    And only the issue "too_long" is reported at "idempotencyKey"
    And nothing is stored
    And no event is emitted

  Scenario: a blank idempotency key is rejected
    Given User is authenticated
    And the idempotency key "   "
    When User creates sync config
    Then the call fails with ValidationError
    And only the issue "blank" is reported at "idempotencyKey"
    And nothing is stored
    And no event is emitted

  Scenario: with the signal muted, no event is sent and none waits for redelivery
    Given User is authenticated
    And the SyncConfigCreated signal is muted
    When User creates sync config
    Then Sync config is created
    And an audit record "integration.syncConfig.created" is written
    And no event is emitted
    And the event is marked delivered
