"""Tamper evidence: a verifiable Merkle log over every stored event, signed checkpoints, proofs.

How it fits together
--------------------
* **Leaves** (:mod:`integrity.hashing`). Every row of the application's events table (SQLite
  ``stored_events``, PostgreSQL ``<schema>.casetrail_events``) becomes one leaf, in
  notification-id order. The leaf commits to the row *as stored* (notification id, originator
  id, version, topic and the encoded and, if enabled, encrypted state bytes); see
  :func:`verifier.casetrail_verify.encode_leaf`. Notification ids may have gaps on PostgreSQL,
  so a leaf's *position* is its own counter.
* **Store** (:mod:`integrity.store`, :mod:`integrity.backends`). Raw SQL over the events table
  and the integrity tables of one SQLite file or PostgreSQL schema.
* **Follower** (:mod:`integrity.follower`). :class:`~integrity.follower.IntegrityFollower`
  follows the events table like a projection: it reads new rows outside any write lock, hashes
  them, and then, in ONE short write transaction, inserts the leaves, every new perfect subtree
  node and advances its tracking row with a compare-and-set. A batch is therefore applied
  exactly once, and a crash or a concurrent follower simply resumes from the tracking row.
  Commands never wait for it.
* **Checkpoints** (:mod:`integrity.checkpoints`, keys in :mod:`integrity.keys`).
  ``(origin, tree size, root, time)`` signed with Ed25519 as a C2SP tlog-checkpoint note, issued
  every ``checkpoint_every`` events or ``checkpoint_interval`` seconds (when the tree grew) and
  on demand. Before signing, the signer proves to itself that the new tree is consistent with
  the previous checkpoint in the database *and* with the last checkpoint it issued (kept in the
  keys directory), so it refuses to bless a rolled-back or rewritten database.
* **Proofs** (:mod:`integrity.proofs`, :mod:`integrity.bundles`): inclusion and consistency
  proofs, and a case bundle that an auditor verifies offline.
* **Verify** (:mod:`integrity.verify`, :mod:`integrity.scan`, :mod:`integrity.diagnose`).
  :func:`~integrity.verify.run_verify` re-reads every raw row, recomputes every leaf and the root
  at every checkpoint size, checks signatures against the published keys and compares with
  witness-held checkpoint files. It needs no domain code, so it works with any topic and with
  encrypted state.

Tables (in the same database as the events: the SQLite file or the PostgreSQL schema):
``integrity_meta``, ``integrity_tracking``, ``integrity_leaves``, ``integrity_nodes``,
``integrity_checkpoints``.
"""
