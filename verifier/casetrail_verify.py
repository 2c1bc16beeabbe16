#!/usr/bin/env python3
"""Casetrail standalone verifier: checks signed checkpoints, proofs and case bundles offline.

This one file is all an auditor needs. It uses the Python standard library plus the
``cryptography`` package (for Ed25519), has no database access and imports nothing from
the Casetrail project. The project imports *this* module for the same hashing and proof
checks, so there is a single implementation of the rules below.

Usage::

    python casetrail_verify.py bundle.json --pubkey casetrail.pub
    python casetrail_verify.py checkpoint.txt --pubkey casetrail.pub
    python casetrail_verify.py consistency.json --pubkey casetrail.pub --witness held.txt
    python casetrail_verify.py inclusion.json --pubkey casetrail.pub

Several files may be given at once; every checkpoint seen (in bundles, proofs and witness
files) is also cross-checked: two checkpoints of the same log with the same tree size and a
different root hash are a fork (proof that the log was rewritten).

Exit codes: 0 everything verified, 1 verification failed (evidence of tampering or a forged
file), 2 cannot read (missing or malformed file, no trusted public key).

Formats
-------
* Merkle tree: RFC 6962 / RFC 9162 section 2.1 with SHA-256. Leaf hash = SHA-256(0x00 || leaf
  data), interior node = SHA-256(0x01 || left || right), empty tree = SHA-256("").
* Leaf data of a stored event (format 1), all integers big-endian::

      0x01                       format
      int64  notification_id     position of the event in the application's log
      int64  originator_version
      16 bytes originator_id     (the case's UUID)
      uint32 len(topic)          0xFFFFFFFF for NULL
      uint32 len(state)          0xFFFFFFFF for NULL
      topic (UTF-8), state (the stored, possibly compressed/encrypted, bytes)

  Rows whose stored values are not of the standard types (only possible after someone edited
  the table by hand) use format 2: 0x02 || repr((notification_id, originator_id, version,
  topic, state)) in UTF-8.
* Checkpoints are C2SP tlog-checkpoint signed notes (https://c2sp.org/tlog-checkpoint)::

      casetrail/<log id>
      <tree size>
      <base64 root hash>
      issued-at <UTC time>

      — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

* Public keys are Go ``note`` verifier keys, ``<name>+<key id hex>+<base64(0x01 || key)>``;
  a PEM ``SubjectPublicKeyInfo`` Ed25519 key is accepted as well.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "EMPTY_ROOT", "Checkpoint", "PublicKey", "encode_leaf", "event_leaf_hash",
    "format_checkpoint_body", "hash_children", "hash_leaf", "main", "merkle_root",
    "parse_checkpoint", "root_from_inclusion_proof", "verify_bundle", "verify_consistency",
    "verify_consistency_document", "verify_inclusion", "verify_inclusion_document", "verify_note",
]

EXIT_OK, EXIT_FAILED, EXIT_UNREADABLE = 0, 1, 2

HASH_SIZE = 32
_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

BUNDLE_FORMAT = "casetrail-bundle/1"
INCLUSION_FORMAT = "casetrail-inclusion-proof/1"
CONSISTENCY_FORMAT = "casetrail-consistency-proof/1"
ROTATION_HEADER = "casetrail key rotation"


# --- RFC 6962 hashing and proof verification -------------------------------------------------

def hash_leaf(data: bytes) -> bytes:
    return _sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return _sha256(NODE_PREFIX + left + right).digest()


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already hashed leaves (RFC 6962 section 2.1), iteratively, level by level.

    Pairing neighbours level by level and carrying an odd last node up unchanged gives the
    same tree as RFC 6962's "split at the largest power of two smaller than n".
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    sha = _sha256
    while len(level) > 1:
        nxt = [sha(b"\x01" + a + b).digest() for a, b in zip(level[0::2], level[1::2])]
        if len(level) & 1:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int,
                              proof: Sequence[bytes]) -> bytes | None:
    """RFC 9162 section 2.1.3.2; returns the root the proof leads to, or None if malformed."""
    if not (0 <= index < size) or len(leaf_hash) != HASH_SIZE:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return None
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes],
                     root: bytes) -> bool:
    got = root_from_inclusion_proof(leaf_hash, index, size, proof)
    return got is not None and len(root) == HASH_SIZE and got == root


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2: the tree of ``size2`` extends the tree of ``size1``."""
    if size1 < 0 or size2 < size1 or len(root1) != HASH_SIZE or len(root2) != HASH_SIZE:
        return False
    if any(len(p) != HASH_SIZE for p in proof):
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0:
        return not proof and root1 == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # exact power of two: the old root is a node of the new tree
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


# --- Leaves: the canonical encoding of one stored event --------------------------------------

LEAF_V1 = struct.Struct(">BBqq16sII")  # 0x00 prefix, format 1, nid, version, uuid, len, len
_NULL_LEN = 0xFFFFFFFF


def _uuid_bytes(originator_id: Any) -> bytes | None:
    """The 16 bytes of a canonically stored UUID, or None for anything else."""
    if isinstance(originator_id, UUID):
        return originator_id.bytes
    if isinstance(originator_id, (bytes, bytearray)) and len(originator_id) == 16:
        return bytes(originator_id)
    if type(originator_id) is str:
        if len(originator_id) == 32:  # how SQLite stores it: uuid.hex
            try:
                b = bytes.fromhex(originator_id)
            except ValueError:
                return None
            return b if b.hex() == originator_id else None
        if len(originator_id) == 36:  # how PostgreSQL prints it
            try:
                u = UUID(originator_id)
            except ValueError:
                return None
            return u.bytes if str(u) == originator_id else None
    return None


def encode_leaf(notification_id: Any, originator_id: Any, originator_version: Any, topic: Any,
                state: Any) -> bytes:
    """Leaf data (without the RFC 6962 0x00 prefix) for one stored event, exactly as stored."""
    oid = _uuid_bytes(originator_id)
    if (
        oid is not None
        and type(notification_id) is int
        and type(originator_version) is int
        and (topic is None or type(topic) is str)
        and (state is None or type(state) is bytes)
    ):
        tb = None if topic is None else topic.encode("utf-8", "surrogatepass")
        try:
            head = LEAF_V1.pack(
                0, 1, notification_id, originator_version, oid,
                _NULL_LEN if tb is None else len(tb),
                _NULL_LEN if state is None else len(state),
            )
        except struct.error:
            pass
        else:
            return head[1:] + (tb or b"") + (state or b"")
    if isinstance(state, (bytearray, memoryview)):
        state = bytes(state)
    return b"\x02" + repr(
        (notification_id, originator_id, originator_version, topic, state)
    ).encode("utf-8", "surrogatepass")


def event_leaf_hash(notification_id: Any, originator_id: Any, originator_version: Any, topic: Any,
                    state: Any) -> bytes:
    return hash_leaf(encode_leaf(notification_id, originator_id, originator_version, topic, state))


# --- Keys, signed notes, checkpoints ---------------------------------------------------------

ALG_ED25519 = 1
SIG_DASH = "\u2014 "


def note_key_id(name: str, public_key: bytes) -> bytes:
    """C2SP signed-note key ID: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return _sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


@dataclass(frozen=True)
class PublicKey:
    name: str
    raw: bytes  # 32-byte Ed25519 key

    @property
    def key_hash(self) -> bytes:
        return note_key_id(self.name, self.raw)

    @property
    def key_id(self) -> str:
        """``name+hhhhhhhh``, how Casetrail refers to a key (in tables and file names)."""
        return f"{self.name}+{self.key_hash.hex()}"

    def vkey(self) -> str:
        return f"{self.key_id}+{base64.b64encode(bytes([ALG_ED25519]) + self.raw).decode()}"

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    @classmethod
    def from_vkey(cls, text: str) -> PublicKey:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise ValueError("a verifier key has the form name+keyid+base64key")
        name, hash_hex, b64 = parts
        raw = base64.b64decode(b64, validate=True)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise ValueError("not an Ed25519 verifier key")
        key = cls(name, raw[1:])
        if not _valid_key_name(name) or key.key_hash.hex() != hash_hex.lower():
            raise ValueError("verifier key id does not match its name and key")
        return key

    @classmethod
    def from_pem(cls, pem: bytes, name: str = "") -> PublicKey:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise TypeError("not an Ed25519 public key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(name, raw)


def load_public_keys(text: str) -> list[PublicKey]:
    """Verifier keys in a text file (one per line, ``#`` comments) or one PEM key."""
    if "-----BEGIN" in text:
        return [PublicKey.from_pem(text.encode())]
    keys = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            keys.append(PublicKey.from_vkey(line))
    return keys


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_hash: bytes
    signature: bytes


def parse_note(text: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text (ending in newline) and its signature lines."""
    if not text.endswith("\n"):
        raise ValueError("a signed note ends with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise ValueError("control characters in note")
    split = text.rfind("\n\n")
    if split < 0:
        raise ValueError("no blank line before the signatures")
    body, sig_block = text[: split + 1], text[split + 2:]
    sigs = []
    for line in sig_block.split("\n")[:-1]:
        if not line.startswith(SIG_DASH):
            raise ValueError(f"malformed signature line {line!r}")
        parts = line[len(SIG_DASH):].split(" ")
        if len(parts) != 2 or not _valid_key_name(parts[0]):
            raise ValueError(f"malformed signature line {line!r}")
        try:
            blob = base64.b64decode(parts[1], validate=True)
        except binascii.Error as e:
            raise ValueError(f"bad base64 in signature line: {e}") from None
        if len(blob) < 5:
            raise ValueError("signature too short")
        sigs.append(NoteSignature(parts[0], blob[:4], blob[4:]))
    if not sigs:
        raise ValueError("note has no signatures")
    if len(sigs) > 100:
        raise ValueError("too many signatures")
    return body, sigs


def signature_line(key: PublicKey, signature: bytes) -> str:
    return f"{SIG_DASH}{key.name} {base64.b64encode(key.key_hash + signature).decode()}\n"


def verify_note(text: str, keys: Iterable[PublicKey]) -> tuple[bool, list[str], str]:
    """(ok, names of keys that signed, message) following the C2SP signed-note rules.

    Signatures by unknown keys are ignored; a failing signature by a known key rejects the
    note; at least one known key must have signed.
    """
    try:
        body, sigs = parse_note(text)
    except ValueError as e:
        return False, [], f"malformed note: {e}"
    keys = list(keys)
    good: list[str] = []
    for s in sigs:
        key = None
        for k in keys:
            cand = k if k.name else PublicKey(s.name, k.raw)  # PEM keys carry no name
            if cand.name == s.name and cand.key_hash == s.key_hash:
                key = cand
                break
        if key is None:
            continue  # unknown keys are ignored (e.g. witness cosignatures)
        if not key.verify(s.signature, body.encode("utf-8")):
            return False, good, f"signature by {key.key_id} does not verify"
        good.append(key.key_id)
    if not good:
        signers = ", ".join(f"{s.name}+{s.key_hash.hex()}" for s in sigs)
        return False, [], f"not signed by any trusted key (signed by: {signers})"
    return True, good, "signature verified"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root: bytes
    issued_at: str | None
    body: str
    signatures: tuple[NoteSignature, ...] = field(default=(), compare=False)
    text: str = field(default="", compare=False)

    @property
    def root_hex(self) -> str:
        return self.root.hex()


def format_checkpoint_body(origin: str, tree_size: int, root: bytes, issued_at: str | None) -> str:
    lines = [origin, str(int(tree_size)), base64.b64encode(root).decode()]
    if issued_at:
        lines.append(f"issued-at {issued_at}")
    return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    body, sigs = parse_note(text)
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise ValueError("a checkpoint has at least origin, tree size and root hash")
    origin, size_s, root_s = lines[0], lines[1], lines[2]
    if not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
        raise ValueError(f"bad tree size {size_s!r}")
    try:
        root = base64.b64decode(root_s, validate=True)
    except binascii.Error:
        raise ValueError("bad root hash") from None
    if len(root) != HASH_SIZE:
        raise ValueError("root hash is not 32 bytes")
    issued = None
    for ext in lines[3:]:
        if not ext:
            raise ValueError("empty extension line")
        if ext.startswith("issued-at "):
            issued = ext[len("issued-at "):]
    return Checkpoint(origin, int(size_s), root, issued, body, tuple(sigs), text)


def verify_checkpoint(text: str, keys: Sequence[PublicKey]) -> tuple[Checkpoint | None, str]:
    """(checkpoint, "") if well formed and signed by a trusted key, else (maybe cp, reason)."""
    try:
        cp = parse_checkpoint(text)
    except ValueError as e:
        return None, f"malformed checkpoint: {e}"
    ok, _, msg = verify_note(text, keys)
    return (cp, "") if ok else (cp, msg)


# --- Documents: bundles and proof files ------------------------------------------------------

class Findings:
    """Collects what was checked; ``failed`` means evidence against the log or the file."""

    def __init__(self) -> None:
        self.ok: list[str] = []
        self.failures: list[str] = []
        self.warnings: list[str] = []
        self.unreadable: list[str] = []
        self.checkpoints: dict[tuple[str, int], tuple[bytes, str]] = {}
        self.links: list[tuple[str, int, int]] = []  # proven consistent pairs of tree sizes

    def fail(self, msg: str) -> None:
        self.failures.append(msg)

    def note_checkpoint(self, cp: Checkpoint, where: str) -> None:
        key = (cp.origin, cp.tree_size)
        seen = self.checkpoints.get(key)
        if seen is None:
            self.checkpoints[key] = (cp.root, where)
        elif seen[0] != cp.root:
            self.fail(
                f"FORK: two signed checkpoints of {cp.origin} at tree size {cp.tree_size} with "
                f"different roots ({seen[1]}: {seen[0].hex()[:16]}…, {where}: {cp.root_hex[:16]}…)"
            )

    @property
    def exit_code(self) -> int:
        if self.failures:
            return EXIT_FAILED
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_OK


def _unhex(s: Any, what: str) -> bytes:
    if not isinstance(s, str):
        raise TypeError(f"{what}: expected a hex string")
    b = bytes.fromhex(s)
    if len(b) != HASH_SIZE:
        raise ValueError(f"{what}: expected 32 bytes")
    return b


def _checked_checkpoint(text: Any, keys: Sequence[PublicKey], f: Findings,
                        where: str) -> Checkpoint | None:
    if not isinstance(text, str):
        f.unreadable.append(f"{where}: no checkpoint")
        return None
    cp, why = verify_checkpoint(text, keys)
    if cp is None:
        f.unreadable.append(f"{where}: {why}")
        return None
    if not keys:
        return None  # nothing can be vouched for; verify_files reports the missing key
    if why:
        f.fail(f"{where}: checkpoint (size {cp.tree_size}) {why}")
        return None
    f.ok.append(f"{where}: checkpoint {cp.origin} size {cp.tree_size} root "
                f"{cp.root_hex[:16]}… signed by a trusted key")
    f.note_checkpoint(cp, where)
    return cp


def _event_leaf(ev: dict[str, Any]) -> bytes:
    if "leaf_data_b64" in ev:
        return hash_leaf(base64.b64decode(ev["leaf_data_b64"], validate=True))
    state = ev.get("state_b64")
    state_b = None if state is None else base64.b64decode(state, validate=True)
    return event_leaf_hash(
        int(ev["notification_id"]), str(ev["originator_id"]), int(ev["originator_version"]),
        ev.get("topic"), state_b,
    )


def verify_bundle(doc: dict[str, Any], keys: Sequence[PublicKey], f: Findings,
                  where: str = "bundle") -> None:
    """A case bundle: the case's events, each with an inclusion proof, and a checkpoint."""
    cp = _checked_checkpoint(doc.get("checkpoint"), keys, f, where)
    if cp is None:
        return
    case_id = str(doc.get("case_id", ""))
    events = doc.get("events")
    if not isinstance(events, list):
        f.unreadable.append(f"{where}: no events list")
        return
    last_pos, last_ver, bad = -1, 0, 0
    for i, ev in enumerate(events):
        label = f"{where}: event #{i + 1}"
        try:
            pos = int(ev["position"])
            ver = int(ev["originator_version"])
            label = f"{where}: event v{ver} (log position {pos})"
            leaf = _event_leaf(ev)
            proof = [_unhex(p, "proof") for p in ev["inclusion_proof"]]
        except (KeyError, ValueError, TypeError, binascii.Error) as e:
            f.unreadable.append(f"{label}: malformed ({e})")
            bad += 1
            continue
        if ev.get("leaf_hash") and ev["leaf_hash"] != leaf.hex():
            f.fail(f"{label}: the event's fields do not hash to the stated leaf hash")
            bad += 1
        if not verify_inclusion(leaf, pos, cp.tree_size, proof, cp.root):
            f.fail(f"{label}: NOT included in the log at size {cp.tree_size} "
                   f"(event altered, or proof forged)")
            bad += 1
        if str(ev.get("originator_id", "")).replace("-", "") != case_id.replace("-", ""):
            f.fail(f"{label}: belongs to {ev.get('originator_id')}, not to case {case_id}")
            bad += 1
        if pos <= last_pos or ver <= last_ver:
            f.fail(f"{label}: out of order (versions and log positions must both increase)")
            bad += 1
        elif ver != last_ver + 1:
            f.warnings.append(f"{label}: versions {last_ver + 1}..{ver - 1} are not in the bundle")
        last_pos, last_ver = pos, ver
        if "state_json" in ev and ev["state_json"] is not None and "state_b64" in ev:
            try:
                decoded = json.loads(base64.b64decode(ev["state_b64"]))
            except ValueError:
                decoded = object()
            if decoded != ev["state_json"]:
                f.fail(f"{label}: the readable state_json differs from the signed state bytes")
                bad += 1
    if events and not bad:
        f.ok.append(f"{where}: all {len(events)} events of case {case_id} are in the log "
                    f"(versions 1..{last_ver}, tree size {cp.tree_size})")
    if not events:
        f.warnings.append(f"{where}: the bundle contains no events")
    if events and int(events[0].get("originator_version", 0)) != 1:
        f.warnings.append(f"{where}: the bundle does not start at version 1")
    f.warnings.append(
        f"{where}: a bundle proves its events are in the log; it cannot prove that no later "
        f"events of the case exist after version {last_ver}"
    )


def verify_inclusion_document(doc: dict[str, Any], keys: Sequence[PublicKey], f: Findings,
                              where: str = "inclusion") -> None:
    cp = _checked_checkpoint(doc.get("checkpoint"), keys, f, where)
    if cp is None:
        return
    try:
        leaf = _event_leaf(doc["event"]) if "event" in doc else _unhex(doc["leaf_hash"], "leaf")
        pos = int(doc["position"])
        size = int(doc["tree_size"])
        proof = [_unhex(p, "proof") for p in doc["proof"]]
    except (KeyError, ValueError, TypeError, binascii.Error) as e:
        f.unreadable.append(f"{where}: malformed ({e})")
        return
    if size != cp.tree_size:
        f.fail(f"{where}: proof is for size {size} but the checkpoint has size {cp.tree_size}")
    elif verify_inclusion(leaf, pos, size, proof, cp.root):
        f.ok.append(f"{where}: leaf at position {pos} is included in tree of size {size}")
    else:
        f.fail(f"{where}: inclusion proof for position {pos} does NOT verify")


def verify_consistency_document(doc: dict[str, Any], keys: Sequence[PublicKey], f: Findings,
                                where: str = "consistency") -> None:
    cps = []
    for side in ("first", "second"):
        text = doc.get(side, {}).get("checkpoint") if isinstance(doc.get(side), dict) else None
        if text is None:
            f.unreadable.append(f"{where}: no {side} checkpoint")
            return
        cp = _checked_checkpoint(text, keys, f, f"{where} ({side})")
        if cp is None:
            return
        cps.append(cp)
    a, b = cps
    try:
        proof = [_unhex(p, "proof") for p in doc["proof"]]
    except (KeyError, ValueError, TypeError) as e:
        f.unreadable.append(f"{where}: malformed ({e})")
        return
    if a.origin != b.origin:
        f.fail(f"{where}: checkpoints of different logs ({a.origin} / {b.origin})")
    elif verify_consistency(a.tree_size, b.tree_size, a.root, b.root, proof):
        f.links.append((a.origin, a.tree_size, b.tree_size))
        f.ok.append(f"{where}: tree at size {b.tree_size} extends tree at size {a.tree_size} "
                    "(append-only, nothing rewritten)")
    else:
        f.fail(f"{where}: tree at size {b.tree_size} is NOT an extension of size {a.tree_size}")


def _classify(text: str) -> tuple[str, Any]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        doc = json.loads(text)
        fmt = doc.get("format")
        if fmt == BUNDLE_FORMAT:
            return "bundle", doc
        if fmt == INCLUSION_FORMAT:
            return "inclusion", doc
        if fmt == CONSISTENCY_FORMAT:
            return "consistency", doc
        raise ValueError(f"unknown document format {fmt!r}")
    if stripped.startswith(ROTATION_HEADER):
        return "rotation", text
    return "checkpoint", text


def verify_rotation_note(text: str, keys: Sequence[PublicKey], f: Findings, where: str) -> None:
    """A key rotation statement: the new key, signed by the old and the new key."""
    try:
        body, _ = parse_note(text)
        fields = dict(line.split(" ", 1) for line in body.splitlines()[1:] if " " in line)
        old, new = PublicKey.from_vkey(fields["old"]), PublicKey.from_vkey(fields["new"])
    except (ValueError, KeyError) as e:
        f.unreadable.append(f"{where}: malformed rotation statement ({e})")
        return
    ok_old, _, msg_old = verify_note(text, [old])
    ok_new, _, msg_new = verify_note(text, [new])
    if not (ok_old and ok_new):
        f.fail(f"{where}: rotation statement not signed by both keys ({msg_old}; {msg_new})")
        return
    if not any(k.raw == old.raw for k in keys):
        f.warnings.append(f"{where}: the old key {old.key_id} is not among the trusted keys")
    f.ok.append(f"{where}: key {old.key_id} handed over to {new.key_id} at "
                f"{fields.get('time', '?')}")


def verify_files(paths: Sequence[str], keys: Sequence[PublicKey],
                 witnesses: Sequence[str] = ()) -> Findings:
    f = Findings()
    if not keys:
        f.unreadable.append("no trusted public key given (--pubkey)")
    for w in witnesses:
        try:
            text = Path(w).read_text(encoding="utf-8")
        except OSError as e:
            f.unreadable.append(f"witness {w}: {e}")
            continue
        _checked_checkpoint(text, keys, f, f"witness {w}")
    for p in paths:
        try:
            text = Path(p).read_text(encoding="utf-8")
            kind, doc = _classify(text)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            f.unreadable.append(f"{p}: cannot read ({e})")
            continue
        if kind == "bundle":
            verify_bundle(doc, keys, f, p)
        elif kind == "inclusion":
            verify_inclusion_document(doc, keys, f, p)
        elif kind == "consistency":
            verify_consistency_document(doc, keys, f, p)
        elif kind == "rotation":
            verify_rotation_note(doc, keys, f, p)
        else:
            _checked_checkpoint(doc, keys, f, p)
    _report_unlinked(f)
    return f


def _report_unlinked(f: Findings) -> None:
    """Checkpoints of different sizes are only tied together by consistency proofs."""
    parent: dict[tuple[str, int], tuple[str, int]] = {k: k for k in f.checkpoints}

    def find(k: tuple[str, int]) -> tuple[str, int]:
        while parent[k] != k:
            k = parent[k]
        return k

    for origin, a, b in f.links:
        ka, kb = (origin, a), (origin, b)
        if ka in parent and kb in parent:
            parent[find(ka)] = find(kb)
    groups: dict[tuple[str, int], list[int]] = {}
    for k in f.checkpoints:
        groups.setdefault(find(k), []).append(k[1])
    if len(groups) > 1:
        listed = "; ".join(", ".join(map(str, sorted(g))) for g in groups.values())
        f.warnings.append(
            f"checkpoints of different sizes are not linked by a consistency proof ({listed}); "
            "ask for one with: casetrail integrity prove-consistency --from-checkpoint FILE")


def _print_findings(f: Findings) -> None:
    for line in f.ok:
        print(f"OK    {line}")
    for line in f.warnings:
        print(f"WARN  {line}")
    for line in f.unreadable:
        print(f"ERROR {line}")
    for line in f.failures:
        print(f"FAIL  {line}")
    verdict = {EXIT_OK: "VERIFIED", EXIT_FAILED: "FAILED",
               EXIT_UNREADABLE: "CANNOT VERIFY"}[f.exit_code]
    print(verdict)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="casetrail_verify.py",
        description="Verify Casetrail case bundles, proofs and signed checkpoints offline.",
    )
    ap.add_argument("files", nargs="+", help="bundle/proof JSON files or checkpoint notes")
    ap.add_argument("--pubkey", action="append", default=[],
                    help="published public key file (verifier key or PEM); repeatable")
    ap.add_argument("--witness", action="append", default=[],
                    help="checkpoint note held by a witness; compared with the others")
    ap.add_argument("--trust-embedded-key", action="store_true",
                    help="use the public keys embedded in a bundle (NOT independent)")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args(argv)

    keys: list[PublicKey] = []
    for kp in args.pubkey:
        try:
            keys.extend(load_public_keys(Path(kp).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as e:
            print(f"ERROR cannot read public key {kp}: {e}")
            return EXIT_UNREADABLE
    embedded_note = None
    if args.trust_embedded_key:
        for p in args.files:
            try:
                doc = json.loads(Path(p).read_text(encoding="utf-8"))
                for vk in doc.get("public_keys", []):
                    keys.append(PublicKey.from_vkey(vk))
            except (OSError, ValueError, AttributeError):
                continue
        embedded_note = ("signatures were checked against keys embedded in the file itself; "
                         "this does not prove who signed - use the published key (--pubkey)")
    f = verify_files(args.files, keys, args.witness)
    if embedded_note:
        f.warnings.append(embedded_note)
    if args.json:
        print(json.dumps({
            "exit_code": f.exit_code, "ok": f.ok, "warnings": f.warnings,
            "errors": f.unreadable, "failures": f.failures,
        }, ensure_ascii=False, indent=2))
    else:
        _print_findings(f)
    return f.exit_code


if __name__ == "__main__":
    sys.exit(main())
