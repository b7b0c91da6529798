"""In-process events as blinker signals, in a private namespace (never blinker's global one).

One signal per event the integration-hub feature declares, named by the event key:

=========================  ===================================
signal                     event key
=========================  ===================================
``sync_config_created``    ``integration.syncConfig.created``
``integration_created``    ``integration.created``
``connection_created``     ``integration.connection.created``
``field_mapping_added``    ``integration.fieldMapping.added``
``sync_started``           ``integration.sync.started``
``sync_completed``         ``integration.sync.completed``
``sync_failed``            ``integration.sync.failed``
``sync_cancelled``         ``integration.sync.cancelled`` (sync_sdk's own)
``sync_config_updated``    ``integration.syncConfig.updated`` (sync_sdk's own)
=========================  ===================================

Connect a receiver to be told about every config created, after it is committed::

    >>> from sync_sdk import signals
    >>> def on_created(sender, event):
    ...     print(event.key, event.payload.name)
    >>> signals.sync_config_created.connect(on_created)  # doctest: +ELLIPSIS
    <function on_created at ...>
    >>> signals.sync_config_created.disconnect(on_created)

Receivers get ``sender=<the SyncHub>`` and ``event=`` an
:class:`~sync_sdk.events.EventEnvelope`. In tests, ``connected_to()`` and ``muted()`` work as in
blinker. :func:`signal_for` finds a signal by its event key::

    >>> signals.signal_for("integration.sync.started") is signals.sync_started
    True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from blinker import NamedSignal, Namespace

__all__ = [
    "connection_created",
    "field_mapping_added",
    "integration_created",
    "namespace",
    "signal_for",
    "sync_cancelled",
    "sync_completed",
    "sync_config_created",
    "sync_config_updated",
    "sync_failed",
    "sync_started",
]

#: The namespace holding every signal sync_sdk sends.
namespace = Namespace()

#: Sent after a sync config is committed (contract event ``integration.syncConfig.created``).
sync_config_created: NamedSignal = namespace.signal(
    "integration.syncConfig.created",
    doc="A sync config was created and committed; event= is its EventEnvelope.",
)

#: Sent after an integration is committed (``integration.created``).
integration_created: NamedSignal = namespace.signal(
    "integration.created",
    doc="An integration was created and committed; event= is its EventEnvelope.",
)

#: Sent after a connection is committed (``integration.connection.created``).
connection_created: NamedSignal = namespace.signal(
    "integration.connection.created",
    doc="A connection was created and committed; event= is its EventEnvelope.",
)

#: Sent after a field mapping is added to a config (``integration.fieldMapping.added``).
field_mapping_added: NamedSignal = namespace.signal(
    "integration.fieldMapping.added",
    doc="A field mapping was added and committed; event= is its EventEnvelope.",
)

#: Sent after a sync run is started (``integration.sync.started``).
sync_started: NamedSignal = namespace.signal(
    "integration.sync.started",
    doc="A sync run was started and committed; event= is its EventEnvelope.",
)

#: Sent after a sync run completes (``integration.sync.completed``).
sync_completed: NamedSignal = namespace.signal(
    "integration.sync.completed",
    doc="A sync run completed and was committed; event= is its EventEnvelope.",
)

#: Sent after a sync run fails (``integration.sync.failed``).
sync_failed: NamedSignal = namespace.signal(
    "integration.sync.failed",
    doc="A sync run failed and was committed; event= is its EventEnvelope.",
)


#: Sent after a sync run ends cancelled (``integration.sync.cancelled``, sync_sdk's own
#: ``integration.syncRun.cancel``).
sync_cancelled: NamedSignal = namespace.signal(
    "integration.sync.cancelled",
    doc="A sync run was cancelled and committed; event= is its EventEnvelope.",
)

#: Sent after a sync config is changed (``integration.syncConfig.updated``, sync_sdk's own
#: ``integration.syncConfig.update``).
sync_config_updated: NamedSignal = namespace.signal(
    "integration.syncConfig.updated",
    doc="A sync config was updated and committed; event= is its EventEnvelope.",
)


def signal_for(key: str) -> NamedSignal:
    """The signal of the event named ``key`` (one signal per contract event key)."""
    # Namespace.signal() builds a throw-away NamedSignal on every call: look up first
    return namespace.get(key) or namespace.signal(key)
