"""``casetrail verify`` against real tampering: every test alters the database with SQL.

Each runs on a SQLite file and on a PostgreSQL schema. The auditor's view uses only the
published public key (``auditor_keys``); the operator's key directory additionally holds the
signer's record of the last checkpoint it issued.
"""
from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrity.backends import open_store
from integrity.checkpoints import export_checkpoint
from integrity.errors import LogTampered
from integrity.follower import catch_up, issue_checkpoint
from integrity.keys import Signer
from integrity.store import CheckpointRecord
from integrity.verify import run_verify
from store.config import sqlite_path
from tests.integrity.conftest import PG_URL, Trail

INTACT, TAMPERED, UNREADABLE = 0, 1, 2


@pytest.fixture
def logged(trail: Trail, keys: Path) -> Iterator[tuple[Trail, list[uuid.UUID]]]:
    """120 events (30 cases x 4), all logged and signed at size 120."""
    ids = trail.add_cases(30)
    catch_up(trail.url, keys, checkpoint_every=None, checkpoint_interval=None)
    assert issue_checkpoint(trail.url, keys).tree_size == 120
    yield trail, ids


def verify(trail: Trail, keys: Path, witnesses: list[Path] | None = None) -> tuple[int, dict]:
    return run_verify(trail.url, witnesses or [], keys)


def position_of(trail: Trail, nid: int) -> int:
    return int(trail.sql("SELECT position FROM {t:integrity_leaves} WHERE notification_id = ?",
                         (nid,))[0][0])


def kinds(report: dict[str, Any]) -> set[str]:
    return {p["kind"] for p in report["problems"]}


def test_untouched_store_is_intact(logged: tuple, keys: Path, auditor_keys: Path) -> None:
    trail, _ = logged
    for k in (keys, auditor_keys):
        code, report = verify(trail, k)
        assert code == INTACT, report
        assert report["status"] == "intact" and report["events"] == 120
        assert report["first_bad"] is None


def test_modified_event_body(logged: tuple, auditor_keys: Path) -> None:
    trail, ids = logged
    nid = trail.nid_of(ids[7], 2)
    state = bytes(trail.sql("SELECT state FROM {events} WHERE {nid} = ?", (nid,))[0][0])
    forged = state.replace("第0次".encode(), "第9次".encode())
    assert forged != state
    trail.sql("UPDATE {events} SET state = ? WHERE {nid} = ?", (forged, nid))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    fb = report["first_bad"]
    assert fb["kind"] == "event_modified"
    assert fb["position"] == position_of(trail, nid)
    assert fb["notification_id"] == nid
    assert fb["case_id"] == str(ids[7]) and fb["originator_version"] == 2
    assert "checkpoint_root_mismatch" in kinds(report)


def test_changed_topic(logged: tuple, auditor_keys: Path) -> None:
    trail, ids = logged
    nid = trail.nid_of(ids[3], 4)
    trail.sql("UPDATE {events} SET topic = ? WHERE {nid} = ?",
              ("tests.integrity.conftest:Matter.Closed", nid))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    assert report["first_bad"]["position"] == position_of(trail, nid)
    assert report["first_bad"]["case_id"] == str(ids[3])


def test_changed_version(logged: tuple, auditor_keys: Path) -> None:
    trail, ids = logged
    nid = trail.nid_of(ids[5], 2)
    trail.sql("UPDATE {events} SET originator_version = 99 WHERE {nid} = ?", (nid,))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    fb = report["first_bad"]
    assert fb["position"] == position_of(trail, nid) and fb["case_id"] == str(ids[5])
    assert "version changed from 2 to 99" in fb["detail"]


def test_deleted_event_in_the_middle(logged: tuple, auditor_keys: Path) -> None:
    trail, ids = logged
    nid = trail.nid_of(ids[10], 3)
    pos = position_of(trail, nid)
    trail.sql("DELETE FROM {events} WHERE {nid} = ?", (nid,))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    fb = report["first_bad"]
    assert fb["kind"] == "event_deleted" and fb["position"] == pos
    assert fb["case_id"] == str(ids[10]) and fb["originator_version"] == 3
    # exactly one event is missing; the rest merely moved up
    assert [p["kind"] for p in report["problems"] if p["kind"].startswith("event_")] == [
        "event_deleted"]


def test_deleted_last_event(logged: tuple, auditor_keys: Path) -> None:
    trail, ids = logged
    last = trail.nids()[-1]
    trail.sql("DELETE FROM {events} WHERE {nid} = ?", (last,))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    fb = report["first_bad"]
    assert fb["kind"] == "event_deleted_tail" and fb["position"] == 119
    assert fb["case_id"] == str(ids[-1]) and fb["originator_version"] == 4
    assert "checkpoint_beyond_log" in kinds(report)


def _insert_event(trail: Trail, nid: int, case_id: uuid.UUID) -> None:
    trail.sql(
        "INSERT INTO {events} ({nid}, originator_id, originator_version, topic, state) "
        "VALUES (?, ?, 1, ?, ?)",
        (nid, trail.oid_param(case_id), "tests.integrity.conftest:Matter.Opened",
         b'{"title":"backdated"}'))


def test_inserted_event(logged: tuple, auditor_keys: Path) -> None:
    trail, _ = logged
    intruder = uuid.uuid4()
    _insert_event(trail, 0, intruder)  # ahead of every logged event
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    fb = report["first_bad"]
    assert fb["kind"] == "event_inserted" and fb["position"] == 0
    assert fb["case_id"] == str(intruder) and fb["notification_id"] == 0


@pytest.mark.postgres
def test_inserted_event_into_a_gap_on_postgres(tmp_path: Path, keys: Path,
                                               auditor_keys: Path) -> None:
    from tests.conftest import drop_schema
    from tests.conftest import new_store_url as new_url

    url, schema = new_url("postgres", tmp_path)
    trail = Trail(url)
    try:
        trail.add_cases(5)
        trail.sql("SELECT setval(pg_get_serial_sequence('{events}', 'notification_id'), 50)")
        trail.add_cases(5)  # ids 1..20, then 51..70: a legitimate gap
        catch_up(url, keys)
        issue_checkpoint(url, keys)
        intruder = uuid.uuid4()
        _insert_event(trail, 30, intruder)
        code, report = verify(trail, auditor_keys)
        assert code == TAMPERED
        fb = report["first_bad"]
        assert (fb["kind"], fb["position"], fb["case_id"]) == ("event_inserted", 20, str(intruder))
    finally:
        trail.close()
        if schema:
            drop_schema(schema)


def test_event_appended_by_sql_after_the_log_is_not_distinguishable(
        logged: tuple, auditor_keys: Path) -> None:
    """Documented limit: a row appended at the end looks like a new event; it is logged from
    then on and can no longer be changed unnoticed."""
    trail, _ = logged
    _insert_event(trail, trail.nids()[-1] + 1, uuid.uuid4())
    code, report = verify(trail, auditor_keys)
    assert code == INTACT
    assert any("not yet in the integrity log" in w for w in report["warnings"])


def test_two_events_swapped(logged: tuple, auditor_keys: Path) -> None:
    trail, ids = logged
    a, b = trail.nid_of(ids[4], 2), trail.nid_of(ids[9], 3)
    pa, pb = position_of(trail, a), position_of(trail, b)
    trail.sql("UPDATE {events} SET {nid} = -1 WHERE {nid} = ?", (a,))
    trail.sql("UPDATE {events} SET {nid} = ? WHERE {nid} = ?", (a, b))
    trail.sql("UPDATE {events} SET {nid} = ? WHERE {nid} = -1", (b,))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    modified = [p for p in report["problems"] if p["kind"] == "event_modified"]
    assert [p["position"] for p in modified] == [pa, pb]
    assert report["first_bad"]["position"] == pa
    assert report["first_bad"]["case_id"] == str(ids[4])


def test_two_event_bodies_swapped(logged: tuple, auditor_keys: Path) -> None:
    trail, ids = logged
    a, b = trail.nid_of(ids[1], 2), trail.nid_of(ids[1], 3)
    sa = trail.sql("SELECT state FROM {events} WHERE {nid} = ?", (a,))[0][0]
    sb = trail.sql("SELECT state FROM {events} WHERE {nid} = ?", (b,))[0][0]
    trail.sql("UPDATE {events} SET state = ? WHERE {nid} = ?", (sb, a))
    trail.sql("UPDATE {events} SET state = ? WHERE {nid} = ?", (sa, b))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    assert [p["position"] for p in report["problems"] if p["kind"] == "event_modified"] == [
        position_of(trail, a), position_of(trail, b)]


def test_truncated_tail(logged: tuple, auditor_keys: Path) -> None:
    trail, _ = logged
    cut = trail.nids()[100]
    trail.sql("DELETE FROM {events} WHERE {nid} >= ?", (cut,))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    assert report["first_bad"]["position"] == 100
    deleted = [p for p in report["problems"] if p["kind"] == "event_deleted_tail"]
    assert [p["position"] for p in deleted] == list(range(100, 120))
    assert "checkpoint_beyond_log" in kinds(report)


def _truncate_everything_after(trail: Trail, size: int) -> None:
    """An attacker who also rewinds the integrity tables to an older signed checkpoint."""
    cut = int(trail.sql("SELECT notification_id FROM {t:integrity_leaves} WHERE position = ?",
                        (size,))[0][0])
    last = int(trail.sql("SELECT notification_id FROM {t:integrity_leaves} WHERE position = ?",
                         (size - 1,))[0][0])
    trail.sql("DELETE FROM {events} WHERE {nid} >= ?", (cut,))
    trail.sql("DELETE FROM {t:integrity_leaves} WHERE position >= ?", (size,))
    trail.sql("DELETE FROM {t:integrity_nodes} WHERE ((idx + 1) << level) > ?", (size,))
    trail.sql("DELETE FROM {t:integrity_checkpoints} WHERE tree_size > ?", (size,))
    trail.sql("UPDATE {t:integrity_tracking} SET notification_id = ?, tree_size = ?",
              (last, size))


def test_truncated_tail_with_tracks_covered_needs_a_witness(
        trail: Trail, keys: Path, auditor_keys: Path, tmp_path: Path) -> None:
    trail.add_cases(25)
    catch_up(trail.url, keys, checkpoint_every=None, checkpoint_interval=None)
    issue_checkpoint(trail.url, keys)  # 100
    trail.add_cases(5)
    issue_checkpoint(trail.url, keys)  # 120
    witness = tmp_path / "witness-120.txt"
    witness.write_text(export_checkpoint(trail.url))
    _truncate_everything_after(trail, 100)
    # self-consistent at size 100: the published key alone cannot tell
    assert verify(trail, auditor_keys)[0] == INTACT
    code, report = verify(trail, auditor_keys, [witness])
    assert code == TAMPERED
    assert report["first_bad"]["kind"] == "rolled_back" and report["first_bad"]["position"] == 100
    # the signer's own record of what it issued catches it too
    assert verify(trail, keys)[0] == TAMPERED


def test_replaced_checkpoint_root(logged: tuple, auditor_keys: Path) -> None:
    trail, _ = logged
    trail.sql("UPDATE {t:integrity_checkpoints} SET root = ?", (b"\x42" * 32,))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    assert "checkpoint_bad_signature" in kinds(report)


def _rewrite_history_and_resign(trail: Trail, signer: Signer, claim_key_id: str) -> None:
    """Modify an event, rebuild the integrity tables from scratch and re-sign the checkpoint."""
    nid = trail.nids()[3]
    trail.sql("UPDATE {events} SET state = ? WHERE {nid} = ?", (b'{"title":"rewritten"}', nid))
    for t in ("integrity_leaves", "integrity_nodes"):
        trail.sql("DELETE FROM {t:" + t + "}")
    trail.sql("UPDATE {t:integrity_tracking} SET notification_id = 0, tree_size = 0")
    catch_up(trail.url, checkpoint_every=None, checkpoint_interval=None)
    with open_store(trail.url, readonly=True) as st:
        size = st.tracking()[1]
        root = st.root_at(size)
        origin = st.origin()
        issued = st.latest_checkpoint().issued_at
    rec = CheckpointRecord(0, size, root, issued, claim_key_id, b"")
    rec.signature = signer.sign(rec.body(origin).encode())
    trail.sql("UPDATE {t:integrity_checkpoints} SET root = ?, key_id = ?, signature = ?",
              (root, claim_key_id, rec.signature))


def test_checkpoint_resigned_with_an_unpublished_key(logged: tuple, auditor_keys: Path) -> None:
    trail, _ = logged
    attacker = Signer.generate("casetrail")
    _rewrite_history_and_resign(trail, attacker, attacker.key_id)
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    assert "checkpoint_unknown_key" in kinds(report)


def test_checkpoint_resigned_claiming_the_published_key(logged: tuple, keys: Path,
                                                         auditor_keys: Path) -> None:
    trail, _ = logged
    attacker = Signer.generate("casetrail")
    real_id = next(iter(p.stem for p in keys.glob("*.pub")))
    _rewrite_history_and_resign(trail, attacker, f"casetrail+{real_id}")
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    assert "checkpoint_bad_signature" in kinds(report)
    # and the operator's signer record shows the history differs from what was signed
    code, report = verify(trail, keys)
    assert code == TAMPERED and "witness_root_mismatch" in kinds(report)


def test_all_checkpoints_deleted_and_log_rebuilt_needs_a_witness(
        logged: tuple, auditor_keys: Path, tmp_path: Path) -> None:
    trail, _ = logged
    witness = tmp_path / "w.txt"
    witness.write_text(export_checkpoint(trail.url))
    nid = trail.nids()[50]
    trail.sql("UPDATE {events} SET state = ? WHERE {nid} = ?", (b'{"x":1}', nid))
    for t in ("integrity_leaves", "integrity_nodes", "integrity_checkpoints"):
        trail.sql("DELETE FROM {t:" + t + "}")
    trail.sql("UPDATE {t:integrity_tracking} SET notification_id = 0, tree_size = 0")
    catch_up(trail.url, checkpoint_every=None, checkpoint_interval=None)
    code, report = verify(trail, auditor_keys)
    assert code == INTACT and any("no signed checkpoint" in w for w in report["warnings"])
    code, report = verify(trail, auditor_keys, [witness])
    assert code == TAMPERED and "witness_root_mismatch" in kinds(report)


def test_leaf_table_edit_is_told_apart_from_an_event_edit(logged: tuple,
                                                         auditor_keys: Path) -> None:
    trail, _ = logged
    trail.sql("UPDATE {t:integrity_leaves} SET leaf_hash = ? WHERE position = 5", (b"\0" * 32,))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED
    assert report["first_bad"]["kind"] == "leaf_table_modified"
    assert report["first_bad"]["position"] == 5


# --- rolled back from an old backup ----------------------------------------------------------

def _backup(trail: Trail, tmp_path: Path) -> Any:
    if trail.kind == "sqlite":
        bak = tmp_path / "backup.db"
        src, dst = sqlite3.connect(sqlite_path(trail.url)), sqlite3.connect(bak)
        src.backup(dst)
        src.close()
        dst.close()
        return bak
    bak_schema = trail.schema + "_bak"
    trail.sql(f'CREATE SCHEMA "{bak_schema}"')
    for t in ("casetrail_events", "integrity_meta", "integrity_tracking", "integrity_leaves",
              "integrity_nodes", "integrity_checkpoints"):
        trail.sql(f'CREATE TABLE "{bak_schema}".{t} AS SELECT * FROM "{trail.schema}".{t}')
    return bak_schema


def _restore(trail: Trail, bak: Any) -> None:
    if trail.kind == "sqlite":
        db = Path(sqlite_path(trail.url))
        for suffix in ("-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        shutil.copy(bak, db)
        return
    for t in ("casetrail_events", "integrity_meta", "integrity_tracking", "integrity_leaves",
              "integrity_nodes", "integrity_checkpoints"):
        trail.sql(f'TRUNCATE "{trail.schema}".{t}')
        trail.sql(f'INSERT INTO "{trail.schema}".{t} SELECT * FROM "{bak}".{t}')


def test_rolled_back_from_an_old_backup(it_url: str, keys: Path, auditor_keys: Path,
                                        tmp_path: Path) -> None:
    trail = Trail(it_url)
    ids = trail.add_cases(15)
    catch_up(it_url, keys)
    issue_checkpoint(it_url, keys)  # 60
    bak = _backup(trail, tmp_path)
    trail.add_cases(15)
    issue_checkpoint(it_url, keys)  # 120
    witness = tmp_path / "witness.txt"
    witness.write_text(export_checkpoint(it_url))
    trail.close()

    _restore(trail, bak)  # the administrator restores last week's backup
    try:
        assert verify(trail, auditor_keys)[0] == INTACT  # self-consistent without a witness
        code, report = verify(trail, auditor_keys, [witness])
        assert code == TAMPERED
        assert report["first_bad"]["kind"] == "rolled_back"
        assert report["first_bad"]["position"] == 60
        assert verify(trail, keys)[0] == TAMPERED  # the signer's own record
        # business goes on: new events on top of the restored database
        trail = Trail(it_url)
        trail.add_events(ids[0], 3)
        trail.add_cases(20)
        catch_up(it_url, checkpoint_every=None, checkpoint_interval=None)
        code, report = verify(trail, auditor_keys, [witness])
        assert code == TAMPERED and "witness_root_mismatch" in kinds(report)
        # and the signer refuses to bless the rewritten history
        with pytest.raises(LogTampered):
            issue_checkpoint(it_url, keys)
    finally:
        trail.close()
        if trail.kind == "postgres":
            trail.sql(f'DROP SCHEMA IF EXISTS "{bak}" CASCADE')


# --- cannot read -----------------------------------------------------------------------------

def test_cannot_read(tmp_path: Path, auditor_keys: Path) -> None:
    code, report = run_verify(f"sqlite:///{tmp_path}/missing.db", [], auditor_keys)
    assert code == UNREADABLE and report["status"] == "cannot read"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    assert run_verify(f"sqlite:///{junk}", [], auditor_keys)[0] == UNREADABLE
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert run_verify(f"sqlite:///{empty}", [], auditor_keys)[0] == UNREADABLE
    assert run_verify("mysql://nowhere/db", [], auditor_keys)[0] == UNREADABLE


@pytest.mark.postgres
def test_cannot_read_postgres() -> None:
    from tests.integrity.conftest import PG_OK

    if not PG_OK:
        pytest.skip("PostgreSQL not reachable")
    sep = "&" if "?" in PG_URL else "?"
    code, _ = run_verify(f"{PG_URL}{sep}schema=it_does_not_exist_{uuid.uuid4().hex[:6]}", [], None)
    assert code == UNREADABLE
    code, _ = run_verify("postgresql://postgres@127.0.0.1:1/test?schema=x", [], None)
    assert code == UNREADABLE


def test_unverifiable_without_published_key(logged: tuple, tmp_path: Path) -> None:
    trail, _ = logged
    code, report = verify(trail, tmp_path / "no-keys-here")
    assert code == UNREADABLE
    assert any("public key" in e for e in report["errors"])


def test_unreadable_witness_file(logged: tuple, auditor_keys: Path, tmp_path: Path) -> None:
    trail, _ = logged
    bad = tmp_path / "bad.txt"
    bad.write_text("not a checkpoint\n")
    assert verify(trail, auditor_keys, [bad])[0] == UNREADABLE
    assert verify(trail, auditor_keys, [tmp_path / "absent.txt"])[0] == UNREADABLE


def test_events_table_dropped(logged: tuple, auditor_keys: Path) -> None:
    trail, _ = logged
    trail.sql("DROP TABLE {events}" + (" CASCADE" if trail.kind == "postgres" else ""))
    code, report = verify(trail, auditor_keys)
    assert code == TAMPERED and "events_table_missing" in kinds(report)


# --- the parallel verify path (tiny chunks so that 120 events make several partitions) -------

@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    from integrity import scan

    monkeypatch.setattr(scan, "CHUNK_LEVEL", 4)
    monkeypatch.setattr(scan, "CHUNK", 16)
    monkeypatch.setattr(scan, "PARALLEL_MIN_EVENTS", 0)


@pytest.mark.usefixtures("parallel")
@pytest.mark.parametrize("tamper", ["none", "modify", "delete", "insert", "truncate", "leaf",
                                    "node"])
def test_parallel_verify(logged: tuple, auditor_keys: Path, tmp_path: Path, tamper: str) -> None:
    from integrity.verify import verify_store
    from verifier.casetrail_verify import load_public_keys

    trail, ids = logged
    trail.add_cases(3)  # 132 events: 120 signed, 12 pending
    catch_up(trail.url, checkpoint_every=None, checkpoint_interval=None)
    pub = [k for p in auditor_keys.glob("*.pub") for k in load_public_keys(p.read_text())]
    expected = {"none": None, "modify": "event_modified", "delete": "event_deleted",
                "insert": "event_inserted", "truncate": "event_deleted_tail",
                "leaf": "leaf_table_modified", "node": "node_table_modified"}[tamper]
    nid = trail.nid_of(ids[20], 2)
    pos = position_of(trail, nid)
    if tamper == "modify":
        trail.sql("UPDATE {events} SET state = ? WHERE {nid} = ?", (b"{}", nid))
    elif tamper == "delete":
        trail.sql("DELETE FROM {events} WHERE {nid} = ?", (nid,))
    elif tamper == "insert":
        _insert_event(trail, 0, uuid.uuid4())
        pos = 0
    elif tamper == "truncate":
        trail.sql("DELETE FROM {events} WHERE {nid} >= ?", (nid,))
    elif tamper == "leaf":
        trail.sql("UPDATE {t:integrity_leaves} SET leaf_hash = ? WHERE position = ?",
                  (b"\0" * 32, pos))
    elif tamper == "node":
        trail.sql("UPDATE {t:integrity_nodes} SET hash = ? WHERE level = 4 AND idx = ?",
                  (b"\0" * 32, pos // 16))
        pos = pos // 16 * 16
    for workers, thorough in ((1, False), (3, False), (1, True), (3, True)):
        report = verify_store(trail.url, public_keys=pub, workers=workers, thorough=thorough)
        assert report["partitions"] == (1 if workers == 1 else 3)
        if tamper == "leaf" and not thorough:
            # one subtree hash per chunk is compared, not each leaf row: the events are fine
            assert report["exit_code"] == INTACT, report
            continue
        if tamper == "node" and thorough:
            assert report["exit_code"] == INTACT, report  # the thorough path reads leaves only
            continue
        if expected is None:
            assert report["exit_code"] == INTACT, report
        else:
            assert report["exit_code"] == TAMPERED
            assert report["first_bad"]["kind"] == expected
            assert report["first_bad"]["position"] == pos, (workers, thorough, report["problems"])


def test_events_without_a_log_cannot_be_vouched_for(trail: Trail, auditor_keys: Path) -> None:
    trail.add_cases(2)
    code, report = verify(trail, auditor_keys)
    assert code == UNREADABLE and "no integrity log" in report["errors"][0]
