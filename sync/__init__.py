"""Station sync over a shared folder: encrypted, signed, conflict-keeping, crash-safe.

``SyncService(notebook, share)`` is the API that the CLI, the GUI and scripts share: station
membership (init, join, approve, revoke), ``sync_once()``, ``watcher()`` and ``status()``.
Underneath, ``SyncEngine.sync_once()`` does one pass and ``SyncWatcher``
(``casebook.sync.watch``) keeps passes running; ``commands.register(cli)`` adds the
``station`` and ``sync`` commands, thin wrappers over the service. ``docs/sync.md`` specifies the share layout and the segment format.
"""

from casebook.sync.engine import SyncEngine
from casebook.sync.service import SyncService, SyncStatus

__all__ = ["SyncEngine", "SyncService", "SyncStatus"]
