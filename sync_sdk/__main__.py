"""``python -m sync_sdk`` is the ``sync-sdk`` command."""

from sync_sdk.cli import main

raise SystemExit(main())
