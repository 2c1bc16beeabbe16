"""The follower: exactly once, resumable, concurrent-safe; checkpoints; proofs from the tables."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher

from integrity.backends import open_store
from integrity.checkpoints import export_checkpoint, latest_checkpoint_summary
from integrity.errors import LogTampered
from integrity.follower import IntegrityFollower, catch_up, issue_checkpoint
from integrity.hashing import leaf_hashes
from integrity.keys import KeyStore
from integrity.merkle import CompactRange, merkle_root
from integrity.proofs import consistency_proof, inclusion_proof
from integrity.verify import run_verify
from tests.integrity.conftest import Trail
from verifier.casetrail_verify import (
    parse_checkpoint,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)


def _raw_rows(trail: Trail) -> list[tuple]:
    with open_store(trail.url, readonly=True) as st:
        return [r for batch in st.iter_event_batches(1000) for r in batch]


def test_follow_builds_the_tree_of_the_raw_rows(trail: Trail, keys: Path) -> None:
    trail.add_cases(25)
    res = catch_up(trail.url, keys, batch_size=7, checkpoint_every=None, checkpoint_interval=None)
    assert res.leaves_added == 100 and res.tree_size == 100 and res.batches == 15
    rows = _raw_rows(trail)
    with open_store(trail.url, readonly=True) as st:
        assert st.root_at(100) == merkle_root(leaf_hashes(rows))
        assert st.tracking() == (rows[-1][0], 100)
        assert st.leaf_stats() == (100, 99)
    # nothing new: a second run does nothing
    assert catch_up(trail.url, keys).leaves_added == 0


def test_resumes_exactly_once_after_interruption(trail: Trail, keys: Path) -> None:
    trail.add_cases(10)
    f = IntegrityFollower(trail.url, keys, batch_size=3, checkpoint_every=None,
                          checkpoint_interval=None)
    assert f.catch_up(max_events=11).leaves_added == 11
    f.close()
    trail.add_cases(5)
    # a new follower process resumes from the tracking row
    res = catch_up(trail.url, keys, batch_size=4, checkpoint_every=None, checkpoint_interval=None)
    assert res.leaves_added == 60 - 11 and res.tree_size == 60
    with open_store(trail.url, readonly=True) as st:
        assert st.root_at(60) == merkle_root(leaf_hashes(_raw_rows(trail)))


def test_concurrent_followers_never_apply_a_batch_twice(trail: Trail, keys: Path) -> None:
    trail.add_cases(60)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            catch_up(trail.url, keys, batch_size=5, checkpoint_every=None,
                     checkpoint_interval=None)
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with open_store(trail.url, readonly=True) as st:
        assert st.leaf_stats() == (240, 239)
        assert st.root_at(240) == merkle_root(leaf_hashes(_raw_rows(trail)))


def test_checkpoints_every_n_events_and_on_demand(trail: Trail, keys: Path) -> None:
    trail.add_cases(25)
    res = catch_up(trail.url, keys, checkpoint_every=30, checkpoint_interval=None)
    assert [c.tree_size for c in res.checkpoints] == [30, 60, 90]
    rec = issue_checkpoint(trail.url, keys)
    assert rec.tree_size == 100
    summary = latest_checkpoint_summary(trail.url)
    assert summary is not None
    assert summary["tree_size"] == 100 and summary["root"] == rec.root.hex()
    assert summary["origin"].startswith("casetrail/")
    cp, why = verify_checkpoint(export_checkpoint(trail.url), KeyStore(keys).public_keys())
    assert cp is not None and not why and cp.tree_size == 100
    # the time policy: a grown log is signed once the interval has passed
    trail.add_cases(1)
    assert catch_up(trail.url, keys, checkpoint_every=None, checkpoint_interval=0).checkpoints


def test_no_key_no_checkpoint(trail: Trail, tmp_path: Path) -> None:
    trail.add_cases(3)
    res = catch_up(trail.url, tmp_path / "nokeys")
    assert res.tree_size == 12 and not res.checkpoints
    assert latest_checkpoint_summary(trail.url) is None
    with pytest.raises(FileNotFoundError):
        issue_checkpoint(trail.url, tmp_path / "nokeys")


def test_summary_is_none_without_a_log(trail: Trail) -> None:
    assert latest_checkpoint_summary(trail.url) is None
    assert latest_checkpoint_summary("sqlite:////nonexistent/dir/x.db") is None


def test_proofs_verify_against_signed_checkpoints(trail: Trail, keys: Path) -> None:
    ids = trail.add_cases(20)
    catch_up(trail.url, keys, checkpoint_every=None, checkpoint_interval=None)
    first = issue_checkpoint(trail.url, keys)
    trail.add_events(ids[3], 5)
    second = issue_checkpoint(trail.url, keys)
    assert (first.tree_size, second.tree_size) == (80, 85)
    pub = KeyStore(keys).public_keys()
    doc = inclusion_proof(trail.url, case_id=str(ids[3]), version=7)
    cp, why = verify_checkpoint(doc["checkpoint"], pub)
    assert not why and cp.tree_size == 85
    assert verify_inclusion(bytes.fromhex(doc["leaf_hash"]), doc["position"], 85,
                            [bytes.fromhex(p) for p in doc["proof"]], cp.root)
    old = inclusion_proof(trail.url, case_id=str(ids[0]), version=1, tree_size=80)
    assert old["position"] == 0 and old["tree_size"] == 80
    cons = consistency_proof(trail.url, 80)
    a = parse_checkpoint(cons["first"]["checkpoint"])
    b = parse_checkpoint(cons["second"]["checkpoint"])
    assert verify_consistency(a.tree_size, b.tree_size, a.root, b.root,
                              [bytes.fromhex(p) for p in cons["proof"]])
    with pytest.raises(LookupError):
        inclusion_proof(trail.url, case_id=str(ids[3]), version=99)
    with pytest.raises(LookupError):
        consistency_proof(trail.url, 81)  # no checkpoint of that size


@pytest.mark.postgres
def test_notification_id_gaps_on_postgres(tmp_path: Path, keys: Path) -> None:
    from tests.conftest import drop_schema
    from tests.conftest import new_store_url as new_url

    url, schema = new_url("postgres", tmp_path)
    trail = Trail(url)
    try:
        trail.add_cases(3)
        # burn ids, as a failed or conflicting insert does
        trail.sql("SELECT setval(pg_get_serial_sequence('{events}', 'notification_id'), 100)")
        trail.add_cases(2)
        nids = trail.nids()
        assert nids[11] == 12 and nids[12] == 101
        res = catch_up(url, keys, checkpoint_every=None, checkpoint_interval=None)
        assert res.tree_size == 20 and res.last_notification_id == nids[-1]
        doc = inclusion_proof(url, notification_id=101) if issue_checkpoint(url, keys) else None
        assert doc is not None and doc["position"] == 12
        assert run_verify(url, [], keys)[0] == 0
    finally:
        trail.close()
        if schema:
            drop_schema(schema)


def test_encrypted_events_are_logged_as_stored(it_url: str, keys: Path) -> None:
    trail = Trail(it_url, env={"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                               "CIPHER_KEY": AESCipher.create_key(16),
                               "COMPRESSOR_TOPIC": "zlib"})
    try:
        trail.add_cases(5)
        rows = _raw_rows(trail)
        assert all(b"\xe4\xbf\xa1" not in bytes(r[4]) for r in rows)  # "信" is not in clear
        catch_up(it_url, keys)
        issue_checkpoint(it_url, keys)
        code, report = run_verify(it_url, [], keys)
        assert code == 0, report
        with open_store(it_url, readonly=True) as st:
            assert st.root_at(20) == merkle_root(leaf_hashes(rows))
    finally:
        trail.close()


def test_signer_refuses_to_sign_a_rewritten_log(trail: Trail, keys: Path) -> None:
    trail.add_cases(5)
    issue_checkpoint(trail.url, keys)
    # The attacker rewrites logged leaf 0 and rebuilds every node above it consistently.
    trail.sql("UPDATE {t:integrity_leaves} SET leaf_hash = ? WHERE position = 0", (b"\1" * 32,))
    leaves = [bytes(r[0]) for r in
              trail.sql("SELECT leaf_hash FROM {t:integrity_leaves} ORDER BY position")]
    nodes: list = []
    CompactRange().append(leaves, nodes)
    trail.sql("DELETE FROM {t:integrity_nodes}")
    for lvl, idx, h in nodes:
        trail.sql("INSERT INTO {t:integrity_nodes} VALUES (?, ?, ?)", (lvl, idx, h))
    trail.add_cases(1)
    with pytest.raises(LogTampered, match="not an extension"):
        issue_checkpoint(trail.url, keys)
