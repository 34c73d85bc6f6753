"""Station sync over a shared folder: encrypted, signed, conflict-keeping, crash-safe.

``SyncEngine(notebook, share).sync_once()`` is the whole API for CLI, GUI and scripts;
``SyncWatcher`` keeps it running; ``commands.register(cli)`` adds the ``station`` and ``sync``
commands. ``docs/sync.md`` specifies the share layout and the segment format.
"""

from casebook.sync.engine import SyncEngine

__all__ = ["SyncEngine"]
