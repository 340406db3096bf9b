"""What a page's table computed at its last use, kept for its next use only (issue 12).

The big tables (standings, forecast, dashboards) are brought up to date after an act with most of their rows the very
objects of before, so what was computed for a row (its HTML, its curve) is found again by the row itself. Kept in a
store of recent rows, the rows an act superseded stayed alive until newer ones pushed them out — tens of thousands
of objects that the garbage collector scanned at each full pass, while every worker's threads waited (0.1–0.3 s
and growing with the evening's acts). Kept per table, from its last use only, what a worker holds is bounded by the
tables its pages show: a superseded row is dropped the next time its table is shown.

A table is named by its caller (what it shows, for whom, on which date); `before` gives what its last use kept
(read only), the caller builds a new dict as it goes and `keep` puts it in place of the old one. Two threads showing
the same table at once each build their own; the last one stays, either is right.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable


class LastUse:
    """Per table, the entries of its last use; past `max_entries` in all, the tables least recently used go first
    (never the one just kept)."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._tables: OrderedDict[Hashable, dict] = OrderedDict()
        self._entries = 0
        self._lock = threading.Lock()

    def before(self, table: Hashable) -> dict:
        """Return what `table` kept at its last use (empty if none): not to be changed."""
        with self._lock:
            kept = self._tables.get(table)
            if kept is None:
                return {}
            self._tables.move_to_end(table)
            return kept

    def keep(self, table: Hashable, entries: dict) -> None:
        """Keep `entries` as `table`'s last use, in place of what it kept before."""
        with self._lock:
            old = self._tables.pop(table, None)
            if old is not None:
                self._entries -= len(old)
            self._tables[table] = entries
            self._entries += len(entries)
            while self._entries > self.max_entries and len(self._tables) > 1:
                _name, dropped = self._tables.popitem(last=False)
                self._entries -= len(dropped)

    def __len__(self) -> int:
        """Return the entries kept in all."""
        with self._lock:
            return self._entries

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()
            self._entries = 0
