"""The ``casetrail integrity`` commands, the HTTP endpoints and the standalone verifier."""
from __future__ import annotations

import base64
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.integrity_cli import app as cli
from api.routes.integrity import get_database_url, router
from integrity.checkpoints import latest_checkpoint_summary
from integrity.keys import KeyStore
from tests.integrity.conftest import Trail

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "verifier" / "casetrail_verify.py"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(cli, [str(a) for a in args])
    return res.exit_code, res.output


def standalone(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run a copy of the verifier outside the project, isolated (-I: no PYTHONPATH, no cwd)."""
    copy = tmp_path / "auditor" / "casetrail_verify.py"
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(VERIFIER, copy)
    proc = subprocess.run([sys.executable, "-I", str(copy), *map(str, args)],
                          capture_output=True, text=True, cwd=copy.parent, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_keygen_pubkey_and_rotation(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    code, output = run("keygen", "--keys", keys)
    assert code == 0, output
    key_files = list(keys.glob("*.key"))
    assert len(key_files) == 1
    assert stat.S_IMODE(key_files[0].stat().st_mode) == 0o600
    vkey = output.strip().splitlines()[-1]
    assert vkey.startswith("casetrail+")
    assert run("keygen", "--keys", keys)[0] == 2  # refuses to overwrite
    code, output = run("pubkey", "--keys", keys, "-o", tmp_path / "pub.txt")
    assert code == 0 and (tmp_path / "pub.txt").read_text().strip() == vkey
    code, output = run("rotate-key", "--keys", keys)
    assert code == 0, output
    assert len(list(keys.glob("*.key"))) == 1 and len(list(keys.glob("*.pub"))) == 2
    assert KeyStore(keys).signer().public.vkey() != vkey
    rotation = next((keys / "rotations").glob("*.txt"))
    code, output = standalone(tmp_path, rotation, "--pubkey", tmp_path / "pub.txt")
    assert code == 0, output
    code, output = run("pubkey", "--keys", keys, "--all")
    assert code == 0 and len(output.strip().splitlines()) == 2


def test_cli_end_to_end(it_url: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    run("keygen", "--keys", keys)
    trail = Trail(it_url)
    try:
        ids = trail.add_cases(12)
        code, output = run("follow", "--db", it_url, "--keys", keys, "--checkpoint-every", "20")
        # signed at 20 and 40 on the way (--checkpoint-every 20), and at 48 at the end
        assert code == 0 and "logged 48 events" in output and "3 checkpoint(s)" in output, output
        first_cp = tmp_path / "cp1.txt"
        assert run("export-checkpoint", "--db", it_url, "-o", first_cp)[0] == 0
        assert first_cp.read_text().splitlines()[1] == "48"
        code, output = run("follow", "--db", it_url, "--keys", keys)  # nothing new: no checkpoint
        assert code == 0 and "0 checkpoint(s)" in output, output
        trail.add_events(ids[2], 4)
        code, output = run("checkpoint", "--db", it_url, "--keys", keys)
        assert code == 0 and output.splitlines()[1] == "52"
        held = tmp_path / "cp2.txt"
        run("export-checkpoint", "--db", it_url, "-o", held)

        incl = tmp_path / "incl.json"
        code, output = run("prove-inclusion", "--db", it_url, "--case-id", str(ids[2]),
                           "--version", "6", "-o", incl)
        assert code == 0, output
        cons = tmp_path / "cons.json"
        code, output = run("prove-consistency", "--db", it_url, "--from-checkpoint", first_cp,
                           "-o", cons)
        assert code == 0, output
        bundle = tmp_path / "bundle.json"
        code, output = run("bundle", str(ids[2]), "-o", bundle, "--db", it_url, "--keys", keys)
        assert code == 0, output
        doc = json.loads(bundle.read_text())
        assert [e["originator_version"] for e in doc["events"]] == list(range(1, 9))
        assert doc["events"][0]["state_json"]["title"] == "信访事项 2"

        pub = tmp_path / "published.pub"
        run("pubkey", "--keys", keys, "-o", pub)
        code, output = standalone(tmp_path, bundle, incl, cons, "--pubkey", pub,
                                  "--witness", first_cp, "--witness", held)
        assert code == 0, output
        assert "VERIFIED" in output

        code, output = run("verify", "--db", it_url, "--keys", keys, "--witness", held)
        assert code == 0, output
        code, output = run("verify", "--db", it_url, "--keys", keys, "--json")
        assert code == 0 and json.loads(output)["status"] == "intact"

        nid = trail.nid_of(ids[2], 3)
        trail.sql("UPDATE {events} SET state = ? WHERE {nid} = ?", (b'{"forged":true}', nid))
        code, output = run("verify", "--db", it_url, "--keys", keys)
        assert code == 1 and "TAMPERED" in output and str(ids[2]) in output
        # the bundle taken before the edit still verifies; no new bundle can be made
        assert standalone(tmp_path, bundle, "--pubkey", pub)[0] == 0
        for extra in ((), ("--no-checkpoint",)):
            code, output = run("bundle", str(ids[2]), "-o", tmp_path / "b2.json", "--db", it_url,
                               "--keys", keys, *extra)
            assert code == 1 and "no longer match the log" in output, output
    finally:
        trail.close()


def test_cli_cannot_read(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/none.db"
    assert run("verify", "--db", url, "--keys", tmp_path)[0] == 2
    assert run("export-checkpoint", "--db", url)[0] == 2
    assert run("prove-inclusion", "--db", url, "--notification-id", "1")[0] == 2
    assert run("checkpoint", "--db", url, "--keys", tmp_path / "k")[0] == 2


def _bundle(trail: Trail, keys: Path, tmp_path: Path) -> tuple[Path, Path, dict]:
    ids = trail.add_cases(6)
    bundle = tmp_path / "bundle.json"
    code, output = run("bundle", str(ids[1]), "-o", bundle, "--db", trail.url, "--keys", keys)
    assert code == 0, output
    pub = tmp_path / "pub"
    run("pubkey", "--keys", keys, "-o", pub)
    return bundle, pub, json.loads(bundle.read_text())


@pytest.mark.parametrize("forgery", ["state", "state_json", "proof", "checkpoint", "version",
                                     "other_case"])
def test_standalone_verifier_rejects_forged_bundles(trail: Trail, keys: Path, tmp_path: Path,
                                                    forgery: str) -> None:
    bundle, pub, doc = _bundle(trail, keys, tmp_path)
    assert standalone(tmp_path, bundle, "--pubkey", pub)[0] == 0
    ev = doc["events"][1]
    if forgery == "state":
        ev["state_b64"] = base64.b64encode(b'{"text":"forged"}').decode()
    elif forgery == "state_json":
        ev["state_json"]["text"] = "forged"
    elif forgery == "proof":
        ev["inclusion_proof"][0] = "00" * 32
    elif forgery == "checkpoint":
        lines = doc["checkpoint"].split("\n")
        lines[1] = str(int(lines[1]) + 1)
        doc["checkpoint"] = "\n".join(lines)
    elif forgery == "version":
        ev["originator_version"] = 7
    else:
        doc["case_id"] = "00000000-0000-0000-0000-000000000000"
    bundle.write_text(json.dumps(doc))
    code, output = standalone(tmp_path, bundle, "--pubkey", pub)
    assert code == 1, output


def test_standalone_verifier_needs_the_published_key(trail: Trail, keys: Path,
                                                     tmp_path: Path) -> None:
    bundle, pub, _ = _bundle(trail, keys, tmp_path)
    code, output = standalone(tmp_path, bundle)
    assert code == 2 and "no trusted public key" in output
    other = tmp_path / "other"
    run("keygen", "--keys", other)
    run("pubkey", "--keys", other, "-o", tmp_path / "other.pub")
    code, output = standalone(tmp_path, bundle, "--pubkey", tmp_path / "other.pub")
    assert code == 1 and "not signed by any trusted key" in output
    code, output = standalone(tmp_path, bundle, "--trust-embedded-key")
    assert code == 0 and "not prove who signed" in output
    # a PEM public key works too
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = KeyStore(keys).signer().public.raw
    pem = Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "key.pem").write_bytes(pem)
    assert standalone(tmp_path, bundle, "--pubkey", tmp_path / "key.pem")[0] == 0
    assert standalone(tmp_path, tmp_path / "nothing.json", "--pubkey", pub)[0] == 2


def test_standalone_verifier_detects_a_fork(trail: Trail, keys: Path, tmp_path: Path) -> None:
    bundle, pub, doc = _bundle(trail, keys, tmp_path)
    # a second, differently rooted checkpoint of the same size, signed by the same key,
    # is proof that the log showed two different histories
    from integrity.store import CheckpointRecord
    from verifier.casetrail_verify import parse_checkpoint

    cp = parse_checkpoint(doc["checkpoint"])
    signer = KeyStore(keys).signer()
    rec = CheckpointRecord(0, cp.tree_size, b"\7" * 32, cp.issued_at or "", signer.key_id, b"")
    rec.signature = signer.sign(rec.body(cp.origin).encode())
    forked = tmp_path / "forked.txt"
    forked.write_text(rec.note(cp.origin))
    code, output = standalone(tmp_path, bundle, "--pubkey", pub, "--witness", forked)
    assert code == 1 and "FORK" in output


def test_api_endpoints(trail: Trail, keys: Path) -> None:
    api = FastAPI()
    api.include_router(router)
    api.dependency_overrides[get_database_url] = lambda: trail.url
    client = TestClient(api)
    assert client.get("/integrity/checkpoint").status_code == 404
    ids = trail.add_cases(10)
    run("checkpoint", "--db", trail.url, "--keys", keys)
    first = latest_checkpoint_summary(trail.url)
    trail.add_events(ids[4], 3)
    run("checkpoint", "--db", trail.url, "--keys", keys)

    r = client.get("/integrity/checkpoint")
    assert r.status_code == 200
    body = r.json()
    assert body["tree_size"] == 43 and body["note"].splitlines()[1] == "43"
    assert client.get("/integrity/checkpoint.txt").text == body["note"]

    r = client.get("/integrity/proof/inclusion", params={"case_id": str(ids[4]), "version": 6})
    assert r.status_code == 200 and r.json()["tree_size"] == 43
    nid = r.json()["event"]["notification_id"]
    r2 = client.get("/integrity/proof/inclusion", params={"notification_id": nid})
    assert r2.json()["proof"] == r.json()["proof"]
    r = client.get("/integrity/proof/consistency", params={"first": first["tree_size"]})
    assert r.status_code == 200 and r.json()["second"]["tree_size"] == 43
    assert client.get("/integrity/proof/inclusion", params={"case_id": str(ids[4])}).status_code == 422
    assert client.get("/integrity/proof/inclusion",
                      params={"case_id": str(ids[4]), "version": 60}).status_code == 404
    assert client.get("/integrity/proof/consistency", params={"first": 7}).status_code == 404
