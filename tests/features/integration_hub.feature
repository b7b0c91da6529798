# Hand-written: what the five sibling contracts of integration.syncConfig.create do not say but
# users rely on. Their own scenarios and examples are generated into features/ (sync-sdk features).
@beyond_contract
Feature: the integration hub's operations beyond their contracts
  Missing and foreign sync configs, mapping expressions that are checked and never run,
  credentials that never leak, one active run per config, and listings of runs: sync_sdk's
  promises beyond what ContractSpec's contracts declare.

  Scenario Outline: every operation refuses a call without a user: <operation>
    Given Sync config exists
    And User is not authenticated
    When User runs "<operation>"
    Then the call fails with AuthenticationRequired
    And nothing is stored
    And no event is emitted

    Examples:
      | operation                     |
      | integration.create            |
      | integration.connection.create |
      | integration.fieldMapping.add  |
      | integration.sync.trigger      |
      | integration.syncRun.list      |

  Scenario: an operation nobody registered is not found
    Given User is authenticated
    When User runs "integration.sync.cancel" with:
      """json
      {"syncConfigId": "sync-1"}
      """
    Then the call fails with NotFound
    And nothing is stored
    And no event is emitted

  Scenario Outline: another org's sync config is not found: <operation>
    Given Sync config exists
    And the next calls are made by a user of another org
    When User runs "<operation>"
    Then the call fails with NotFound
    And nothing is stored
    And no event is emitted

    Examples:
      | operation                    |
      | integration.fieldMapping.add |
      | integration.sync.trigger     |
      | integration.syncRun.list     |

  # -- integration.create

  @integration_create
  Scenario: ContractSpec's own example input is rejected with every problem at once
    Given User is authenticated
    When User runs "integration.create" with:
      """json
      {"name": "Slack", "category": "communication", "authType": "oauth2"}
      """
    Then the call fails with ValidationError
    And the issues are:
      | path     | code          |
      | category | unknown_field |
      | authType | unknown_field |
      | slug     | required      |
      | provider | required      |
    And nothing is stored
    And no event is emitted

  @integration_create
  Scenario: a retry with the same idempotency key returns the first integration
    Given User is authenticated
    And the idempotency key "slack-1"
    When User runs "integration.create"
    And User runs "integration.create" again
    Then both calls of "integration.create" return the same output
    And Integration definition is created
    And an audit record "integration.created" is written
    And IntegrationCreated event is emitted

  # -- integration.connection.create

  @integration_connection_create
  Scenario: credentials are stored encrypted, and are in clear text nowhere else
    Given User is authenticated
    When User runs "integration.connection.create" with:
      """json
      {"integrationId": "salesforce", "name": "Salesforce Prod", "authType": "oauth2",
       "credentials": {"clientId": "crm-client-4471", "clientSecret": "s3cr3t-7f1e9a-never-leak",
                       "scopes": ["api", "refresh_token"]}}
      """
    Then Connection is created
    And the credentials are in clear text in none of the output, the event, the audit record, the outbox row and the stored row
    And connection_credentials returns the credentials
    And an audit record "integration.connection.created" is written
    And ConnectionCreated event is emitted

  @integration_connection_create
  Scenario: another org cannot read a connection's credentials
    Given User is authenticated
    When User creates connection with valid credentials
    Then Connection is created
    When a user of another org reads the credentials
    Then the call fails with NotFound

  @integration_connection_create
  Scenario: a connection with credentials needs the hub's secret key
    Given User is authenticated
    And the hub has no secret key
    When User runs "integration.connection.create" with:
      """json
      {"integrationId": "salesforce", "name": "Salesforce Prod", "authType": "oauth2",
       "credentials": {"clientSecret": "s3cr3t-7f1e9a-never-leak"}}
      """
    Then the call fails with SecretKeyRequired
    And nothing is stored
    And no event is emitted

  @integration_connection_create
  Scenario: a connection without credentials needs no key
    Given User is authenticated
    And the hub has no secret key
    When User runs "integration.connection.create" with:
      """json
      {"integrationId": "salesforce", "name": "Salesforce Sandbox", "authType": "api_key",
       "transport": "rest"}
      """
    Then Connection is created
    And an audit record "integration.connection.created" is written
    And ConnectionCreated event is emitted

  # -- integration.fieldMapping.add

  @integration_fieldMapping_add
  Scenario: a mapping for a sync config that does not exist is not found
    Given User is authenticated
    When User runs "integration.fieldMapping.add" with:
      """json
      {"syncConfigId": "sync-missing", "sourceField": "email", "targetField": "email",
       "mappingType": "DIRECT"}
      """
    Then the call fails with NotFound
    And nothing is stored
    And no event is emitted

  @integration_fieldMapping_add
  Scenario: a transform expression outside the vocabulary is rejected, never evaluated
    Given User is authenticated
    And the sync config "sync-1" exists
    And a transform expression that would write a file if evaluated as code
    When User runs "integration.fieldMapping.add" with:
      """json
      {"syncConfigId": "sync-1", "sourceField": "email", "targetField": "email",
       "mappingType": "TRANSFORM", "transformExpression": "(the marking expression)"}
      """
    Then the call fails with ValidationError
    And only the issue "invalid_expression" is reported at "transformExpression"
    And the expression was never evaluated as code
    And nothing is stored
    And no event is emitted

  @integration_fieldMapping_add
  Scenario Outline: a mapping without what its type needs is rejected: <case>
    Given User is authenticated
    And the sync config "sync-1" exists
    When User runs "integration.fieldMapping.add" with:
      | syncConfigId | sourceField | targetField | mappingType | transformExpression |
      | sync-1       | email       | email       | <type>      | <expression>        |
    Then the call fails with ValidationError
    And only the issue "<code>" is reported at "<path>"
    And nothing is stored
    And no event is emitted

    Examples:
      | case                                 | type      | expression   | code               | path                |
      | TRANSFORM without an expression      | TRANSFORM | null         | required           | transformExpression |
      | COMPUTED without a template          | COMPUTED  | null         | required           | transformExpression |
      | CONSTANT without a constantValue     | CONSTANT  | null         | required           | constantValue       |
      | a transform spelled another way      | TRANSFORM | "upper"      | invalid_expression | transformExpression |
      | ContractSpec's startsWith match      | TRANSFORM | uppercaseXYZ | invalid_expression | transformExpression |
      | a template with an unclosed reference | COMPUTED | "${first"    | invalid_expression | transformExpression |

  @integration_fieldMapping_add
  Scenario: mappings show on their config in the order they were added
    Given User is authenticated
    And the sync config "sync-1" exists
    When User runs "integration.fieldMapping.add" with:
      """json
      {"syncConfigId": "sync-1", "sourceField": "email", "targetField": "user_email",
       "mappingType": "TRANSFORM", "transformExpression": "lowercase", "isRequired": true}
      """
    Then Mapping is added
    When User runs "integration.fieldMapping.add" with:
      """json
      {"syncConfigId": "sync-1", "sourceField": "source", "targetField": "origin",
       "mappingType": "CONSTANT", "constantValue": "crm", "defaultValue": "n/a"}
      """
    Then Mapping is added
    And the output matches:
      """json
      {"sourceField": "source", "mappingType": "CONSTANT", "constantValue": "crm",
       "defaultValue": "n/a", "isRequired": false, "transformExpression": null}
      """
    And no audit record is written
    And FieldMappingAdded event is emitted

  # -- integration.sync.trigger

  @integration_sync_trigger
  Scenario: a trigger for a sync config that does not exist is not found
    Given User is authenticated
    When User runs "integration.sync.trigger" with:
      """json
      {"syncConfigId": "sync-missing"}
      """
    Then the call fails with NotFound
    And nothing is stored
    And no event is emitted

  @integration_sync_trigger
  Scenario: a trigger while a run is active is a conflict naming that run
    Given User is authenticated
    And the sync config "sync-1" exists
    When User runs "integration.sync.trigger" with:
      """json
      {"syncConfigId": "sync-1"}
      """
    Then Sync run starts
    When User runs "integration.sync.trigger" with:
      """json
      {"syncConfigId": "sync-1", "fullSync": true}
      """
    Then the call fails with Conflict
    And the error names the active run
    And nothing is stored
    And no event is emitted

  @integration_sync_trigger
  Scenario: once its run has finished, a config is triggered again, in the direction asked for
    Given User is authenticated
    And the sync config "sync-1" has runs COMPLETED
    When User runs "integration.sync.trigger" with:
      """json
      {"syncConfigId": "sync-1", "direction": "INBOUND", "fullSync": true}
      """
    Then Sync run starts
    And the output matches:
      """json
      {"syncConfigId": "sync-1", "direction": "INBOUND", "status": "PENDING"}
      """
    And an audit record "integration.sync.triggered" is written
    And SyncStarted event is emitted

  @integration_sync_trigger
  Scenario: a retried trigger with the same idempotency key returns the first run
    Given User is authenticated
    And the sync config "sync-1" exists
    And the idempotency key "nightly-2030-01-01"
    When User runs "integration.sync.trigger" with:
      """json
      {"syncConfigId": "sync-1"}
      """
    And User runs "integration.sync.trigger" again
    Then both calls of "integration.sync.trigger" return the same output
    And Sync run starts
    And SyncStarted event is emitted

  # -- integration.syncRun.list

  @integration_syncRun_list
  Scenario: a listing of a sync config that does not exist is not found
    Given User is authenticated
    When User runs "integration.syncRun.list" with:
      """json
      {"syncConfigId": "sync-missing"}
      """
    Then the call fails with NotFound
    And no event is emitted

  @integration_syncRun_list
  Scenario: runs are listed newest first, filtered by status, a page at a time
    Given User is authenticated
    And the sync config "sync-1" has runs COMPLETED, FAILED, COMPLETED, PENDING
    And the sync config "sync-2" has runs FAILED
    When User runs "integration.syncRun.list" with:
      """json
      {"syncConfigId": "sync-1"}
      """
    Then the page lists runs 4, 3, 2, 1, of 4 in total
    And List of runs is returned
    When User runs "integration.syncRun.list" with:
      """json
      {"syncConfigId": "sync-1", "status": "COMPLETED"}
      """
    Then the page lists runs 3, 1, of 2 in total
    And List of runs is returned
    When User runs "integration.syncRun.list" with:
      """json
      {"syncConfigId": "sync-1", "limit": 2, "offset": 1}
      """
    Then the page lists runs 3, 2, of 4 in total
    When User runs "integration.syncRun.list" with:
      """json
      {"syncConfigId": "sync-1", "status": "COMPLETED", "offset": 1}
      """
    Then the page lists runs 1, of 2 in total
    When User runs "integration.syncRun.list" with:
      """json
      {"syncConfigId": "sync-1", "status": "CANCELLED"}
      """
    Then the page lists runs none, of 0 in total
    When User runs "integration.syncRun.list" with:
      """json
      {"syncConfigId": "sync-2"}
      """
    Then the page lists runs 1, of 1 in total

  @integration_syncRun_list
  Scenario: a listing with bad bounds is rejected, naming each
    Given User is authenticated
    And the sync config "sync-1" exists
    When User runs "integration.syncRun.list" with:
      """json
      {"syncConfigId": "sync-1", "limit": 101, "offset": -1, "status": "pending"}
      """
    Then the call fails with ValidationError
    And the issues are:
      | path   | code         |
      | limit  | out_of_range |
      | offset | out_of_range |
      | status | invalid_enum |
