"""In-process events as blinker signals, in a private namespace (never blinker's global one).

Connect a receiver to be told about every config created, after it is committed::

    >>> from sync_sdk import signals
    >>> def on_created(sender, event):
    ...     print(event.key, event.payload.name)
    >>> signals.sync_config_created.connect(on_created)  # doctest: +ELLIPSIS
    <function on_created at ...>
    >>> signals.sync_config_created.disconnect(on_created)

Receivers get ``sender=<the SyncHub>`` and ``event=`` an
:class:`~sync_sdk.events.EventEnvelope`. In tests, ``connected_to()`` and ``muted()`` work as in
blinker.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from blinker import NamedSignal, Namespace

__all__ = ["namespace", "signal_for", "sync_config_created"]

#: The namespace holding every signal sync_sdk sends.
namespace = Namespace()

#: Sent after a sync config is committed (contract event ``integration.syncConfig.created``).
sync_config_created: NamedSignal = namespace.signal(
    "integration.syncConfig.created",
    doc="A sync config was created and committed; event= is its EventEnvelope.",
)


def signal_for(key: str) -> NamedSignal:
    """The signal of the event named ``key`` (one signal per contract event key)."""
    # Namespace.signal() builds a throw-away NamedSignal on every call: look up first
    return namespace.get(key) or namespace.signal(key)
