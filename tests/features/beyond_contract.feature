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
    And an issue "<code>" is reported at "<path>"
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
      | case                 | field         | value | path          | code  |
      | name of spaces       | name          | "   " | name          | blank |
      | empty integrationId  | integrationId | ""    | integrationId | blank |
      | tab as targetObject  | targetObject  | "\t"  | targetObject  | blank |

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
