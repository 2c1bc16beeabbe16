"""Signing keys: an Ed25519 signer, and the keys directory (generate, rotate, issued record)."""
from __future__ import annotations

import base64
import os
from pathlib import Path

from integrity.config import keys_dir, now_text
from verifier.casetrail_verify import (
    ROTATION_HEADER,
    PublicKey,
    load_public_keys,
    signature_line,
)

__all__ = ["KeyStore", "Signer"]


class Signer:
    def __init__(self, name: str, seed: bytes) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = PublicKey(name, raw)

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def skey(self) -> str:
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return (f"PRIVATE+KEY+{self.key_id}+"
                f"{base64.b64encode(bytes([1]) + seed).decode()}")

    @classmethod
    def generate(cls, name: str = "casetrail") -> Signer:
        if not name or "+" in name or any(c.isspace() for c in name):
            raise ValueError("a key name must be non-empty without spaces or '+'")
        return cls(name, os.urandom(32))

    @classmethod
    def from_skey(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise ValueError("not a Casetrail/note private key")
        raw = base64.b64decode(parts[4], validate=True)
        if len(raw) != 33 or raw[0] != 1:
            raise ValueError("not an Ed25519 private key")
        signer = cls(parts[2], raw[1:])
        if signer.key_id != f"{parts[2]}+{parts[3]}":
            raise ValueError("private key id does not match the key")
        return signer


class KeyStore:
    """Signing keys in a directory.

    ``<hex>.key`` (mode 0600): the private key; ``<hex>.pub``: the verifier key to publish;
    ``active``: the key id used to sign; ``rotations/``: hand-over statements signed by the old
    and the new key; ``issued/<log id>.checkpoint``: the last checkpoint this signer issued for
    each log (the signer's own witness: a database restored from a backup cannot roll it back).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.dir = keys_dir(directory)

    def _hex(self, key_id: str) -> str:
        return key_id.rsplit("+", 1)[-1]

    def active_key_id(self) -> str | None:
        try:
            return (self.dir / "active").read_text().strip() or None
        except FileNotFoundError:
            return None

    def signer(self) -> Signer | None:
        kid = self.active_key_id()
        if not kid:
            return None
        try:
            text = (self.dir / f"{self._hex(kid)}.key").read_text()
        except FileNotFoundError:
            return None
        signer = Signer.from_skey(text)
        if signer.key_id != kid:
            raise ValueError(f"active key {kid} does not match its key file")
        return signer

    def public_keys(self) -> list[PublicKey]:
        keys: list[PublicKey] = []
        if self.dir.is_dir():
            for p in sorted(self.dir.glob("*.pub")):
                keys.extend(load_public_keys(p.read_text()))
        return keys

    def _write_private(self, signer: Signer) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(self.dir, 0o700)
        except OSError:
            pass
        path = self.dir / f"{self._hex(signer.key_id)}.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(signer.skey() + "\n")
        os.chmod(path, 0o600)
        (self.dir / f"{self._hex(signer.key_id)}.pub").write_text(signer.public.vkey() + "\n")
        return path

    def _activate(self, key_id: str) -> None:
        tmp = self.dir / "active.tmp"
        tmp.write_text(key_id + "\n")
        os.replace(tmp, self.dir / "active")

    def generate(self, name: str = "casetrail", *, force: bool = False) -> Signer:
        current = self.signer()
        if current is not None and not force:
            raise FileExistsError(
                f"a signing key already exists ({current.key_id}); use rotate-key")
        signer = Signer.generate(name)
        self._write_private(signer)
        self._activate(signer.key_id)
        return signer

    def rotate(self, *, keep_old: bool = False, name: str | None = None) -> tuple[Signer, Signer, Path]:
        old = self.signer()
        if old is None:
            raise FileNotFoundError(f"no active signing key in {self.dir}; run keygen")
        new = Signer.generate(name or old.public.name)
        self._write_private(new)
        body = (f"{ROTATION_HEADER}\nold {old.public.vkey()}\nnew {new.public.vkey()}\n"
                f"time {now_text()}\n")
        msg = body.encode()
        note = (body + "\n" + signature_line(old.public, old.sign(msg))
                + signature_line(new.public, new.sign(msg)))
        rot = self.dir / "rotations"
        rot.mkdir(exist_ok=True)
        path = rot / f"{self._hex(old.key_id)}-to-{self._hex(new.key_id)}.txt"
        path.write_text(note)
        self._activate(new.key_id)
        if not keep_old:
            # The old public key stays published (old checkpoints remain verifiable); the
            # old private key is destroyed so it can no longer sign anything.
            (self.dir / f"{self._hex(old.key_id)}.key").unlink()
        return old, new, path

    def record_issued(self, log_id: str, note: str) -> None:
        d = self.dir / "issued"
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f"{log_id}.checkpoint.tmp"
        tmp.write_text(note)
        os.replace(tmp, d / f"{log_id}.checkpoint")

    def issued(self, log_id: str) -> str | None:
        try:
            return (self.dir / "issued" / f"{log_id}.checkpoint").read_text()
        except FileNotFoundError:
            return None

