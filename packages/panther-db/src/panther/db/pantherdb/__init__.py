"""PantherDB: Panther's zero-setup embedded document store, in one file.

Files, for a database at ``PATH``:

- ``PATH``, the snapshot, in upstream pantherdb's layout: ``{"collection": [document, ...], ...}`` as JSON, or that
  JSON encrypted as one Fernet token when a ``secret_key`` is given. Files written by pantherdb 2.x open as they are.
- ``PATH.log``, the operations since the snapshot, one JSON record per line (each line a Fernet token when
  encrypted). Its first line names the snapshot it follows (a hash of the snapshot's bytes).
- ``PATH.lock``, the file the processes lock (``flock``; shared for reads, exclusive for writes).

Every write appends one record to the log: an insert of many documents, or an update of many, is one record, so it
happens entirely or not at all. When the log outgrows the snapshot (and is over 1 MiB), and on ``close``, it is
compacted: the snapshot is rewritten (temporary file, fsync, rename, fsync of the folder) and then a fresh log
replaces the old one. A crash between the two leaves a log that names the previous snapshot; readers ignore it,
since its records are already in the new snapshot. A crash in the middle of an append leaves a last line without
its newline; readers ignore it and the next writer cuts it off. After a compaction (so after a clean ``close``)
``PATH`` alone holds everything, in upstream's layout.

Every operation, under the lock, first stats both files. Nothing changed: nothing is read. The log grew: only the
new records are read (``pread`` from the last offset) and applied. The snapshot or the log was replaced (another
process compacted): everything is reloaded. So several worker processes can share a file, and each sees the
others' writes from its next operation on.

Durability: an operation returns once its record is written to the log with ``write(2)``: it survives the crash or
kill of the process at once (the data is in the kernel's page cache). The log is fsynced in groups, at most
``FSYNC_INTERVAL`` (0.1 s) after a write, like MongoDB's journal interval or Redis's ``appendfsync everysec``: a
power loss or kernel crash can lose the last 0.1 s of acknowledged writes, never the file. Snapshots are always
fsynced before they replace the old one. Why not fsync every write: an append + fsync costs 0.25 ms idle and 4-5 ms
under load on the benchmark machine (ext4 on a virtual disk, see ``bench/pantherdb``), one to twenty times a whole
insert, while the group fsync costs at most ten of them per second whatever the write rate.

In memory, each collection is a dict from ``_id`` to document in insertion order (``_id`` lookups are O(1)), plus an
equality index per field, built on the first equality filter on that field and then kept up to date.

The API is async; the work runs on one worker thread per database, so the event loop never blocks on a file or a
lock, and the operations of one process run in order. A round trip to the worker costs 40-170 us on the benchmark
machine: most of an operation's time, since the work itself takes 15-25 us at 10 000 documents.

Documents are JSON: values go through orjson, so datetimes are stored as ISO 8601 strings (and come back as
strings), tuples as lists; keys must be strings.

POSIX only (Linux, macOS): it relies on ``flock`` and on renaming over files that other processes hold open.
"""

from panther.db.pantherdb.engine import PantherDB

__all__ = ["PantherDB"]
