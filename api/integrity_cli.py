"""``casetrail integrity ...``: keys, the follower, checkpoints, proofs, bundles and verify.

Every command takes ``--db URL`` (default: ``$CASETRAIL_DATABASE_URL`` or
``sqlite:///casetrail.db``); commands that sign or check signatures take ``--keys DIR``
(default: ``$CASETRAIL_KEYS_DIR`` or ``./keys``).

Exit codes: 0 success / intact, 1 tampered (or a refusal to sign a rewritten log), 2 cannot
read (store, key or file missing or unreadable).
"""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from integrity.bundles import build_bundle
from integrity.checkpoints import export_checkpoint
from integrity.config import database_url
from integrity.errors import LogTampered, StoreUnavailable
from integrity.follower import IntegrityFollower, issue_checkpoint
from integrity.keys import KeyStore
from integrity.proofs import consistency_proof, inclusion_proof
from integrity.verify import EXIT_INTACT, EXIT_TAMPERED, EXIT_UNREADABLE, run_verify
from verifier.casetrail_verify import parse_checkpoint

__all__ = ["app", "print_verify_report", "run_verify", "verify"]

app = typer.Typer(
    help="Tamper evidence: signed checkpoints over a Merkle log of every stored event.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOpt = Annotated[str | None, typer.Option(
    "--db", envvar="CASETRAIL_DATABASE_URL",
    help="sqlite:///file.db or postgresql://user@host:5432/db?schema=name")]
KeysOpt = Annotated[Path | None, typer.Option(
    "--keys", envvar="CASETRAIL_KEYS_DIR", help="key directory (default ./keys)")]
OutOpt = Annotated[Path | None, typer.Option("-o", "--output", help="write to this file")]


def _fail(msg: str, code: int = EXIT_UNREADABLE) -> typer.Exit:
    err.print(f"[red]{msg}[/red]")
    return typer.Exit(code)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        err.print(f"written to {output}")


def _json(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# --- keys ------------------------------------------------------------------------------------

@app.command()
def keygen(
    keys: KeysOpt = None,
    name: Annotated[str, typer.Option(help="key name in signatures")] = "casetrail",
    force: Annotated[bool, typer.Option(help="make a new active key even if one exists")] = False,
) -> None:
    """Generate the Ed25519 signing key (private key file mode 0600) and print the public key."""
    ks = KeyStore(keys)
    try:
        signer = ks.generate(name, force=force)
    except FileExistsError as e:
        raise _fail(str(e)) from None
    err.print(f"signing key {signer.key_id} written to {ks.dir} (private key mode 0600)")
    err.print("publish this public key (e.g. on the organisation's website and with witnesses):")
    out.print(signer.public.vkey(), soft_wrap=True)


@app.command("rotate-key")
def rotate_key(
    keys: KeysOpt = None,
    keep_old: Annotated[bool, typer.Option(help="keep the old private key file")] = False,
) -> None:
    """Replace the signing key. The old public key stays published so old checkpoints still
    verify; a hand-over statement signed by both keys is written to ``rotations/``."""
    ks = KeyStore(keys)
    try:
        old, new, path = ks.rotate(keep_old=keep_old)
    except FileNotFoundError as e:
        raise _fail(str(e)) from None
    err.print(f"rotated {old.key_id} -> {new.key_id}; hand-over statement: {path}")
    if not keep_old:
        err.print("the old private key was destroyed")
    out.print(new.public.vkey(), soft_wrap=True)


@app.command()
def pubkey(
    keys: KeysOpt = None,
    all_keys: Annotated[bool, typer.Option("--all", help="every published key, old ones too")] = False,
    output: OutOpt = None,
) -> None:
    """Print the public (verifier) key to publish."""
    ks = KeyStore(keys)
    if all_keys:
        vkeys = [k.vkey() for k in ks.public_keys()]
    else:
        signer = ks.signer()
        active = ks.active_key_id()
        vkeys = [signer.public.vkey()] if signer else [
            k.vkey() for k in ks.public_keys() if k.key_id == active]
    if not vkeys:
        raise _fail(f"no key in {ks.dir} (run: casetrail integrity keygen)")
    _emit("\n".join(vkeys), output)


# --- follower and checkpoints ----------------------------------------------------------------

@app.command()
def follow(
    db: DbOpt = None,
    keys: KeysOpt = None,
    forever: Annotated[bool, typer.Option(help="keep following until interrupted")] = False,
    batch_size: Annotated[int, typer.Option(help="events per transaction")] = 5000,
    checkpoint_every: Annotated[int, typer.Option(help="sign after this many events")] = 10_000,
    checkpoint_interval: Annotated[float, typer.Option(
        help="or after this many seconds (when the log grew)")] = 60.0,
    poll: Annotated[float, typer.Option(help="seconds between polls when idle")] = 0.5,
) -> None:
    """Append new events to the Merkle log (catch up once, or --forever). A one-shot run
    signs the tree head at the end, so a verify right after covers every logged event."""
    url = database_url(db)
    follower = IntegrityFollower(url, keys, batch_size=batch_size,
                                 checkpoint_every=checkpoint_every,
                                 checkpoint_interval=checkpoint_interval)
    if follower.signer() is None:
        err.print("[yellow]no signing key: leaves are logged but no checkpoint is signed "
                  "(casetrail integrity keygen)[/yellow]")
    try:
        with follower:
            if not forever:
                res = follower.catch_up()
                follower.sign_tail(res)  # a one-shot run leaves every logged event signed
                out.print(f"logged {res.leaves_added} events; tree size {res.tree_size}; "
                          f"{len(res.checkpoints)} checkpoint(s) signed ({res.elapsed:.2f}s)")
                return
            stop = threading.Event()

            def report(res: Any) -> None:
                cps = ", ".join(str(c.tree_size) for c in res.checkpoints)
                err.print(f"+{res.leaves_added} -> size {res.tree_size}"
                          + (f"; signed checkpoint(s) at {cps}" if cps else ""))

            try:
                follower.run_forever(stop, poll=poll, on_batch=report)
            except KeyboardInterrupt:
                stop.set()
    except LogTampered as e:
        raise _fail(str(e), EXIT_TAMPERED) from None
    except StoreUnavailable as e:
        raise _fail(str(e)) from None


@app.command()
def checkpoint(db: DbOpt = None, keys: KeysOpt = None) -> None:
    """Catch up and sign a checkpoint of the whole log now; prints the checkpoint note."""
    url = database_url(db)
    try:
        issue_checkpoint(url, keys)
        note = export_checkpoint(url)
    except LogTampered as e:
        raise _fail(str(e), EXIT_TAMPERED) from None
    except (FileNotFoundError, StoreUnavailable, LookupError) as e:
        raise _fail(str(e)) from None
    _emit(note, None)


@app.command("export-checkpoint")
def export_checkpoint_cmd(
    db: DbOpt = None,
    output: OutOpt = None,
    tree_size: Annotated[int | None, typer.Option(help="a specific checkpoint")] = None,
) -> None:
    """Write the latest signed checkpoint as a small text file for a witness to keep."""
    try:
        note = export_checkpoint(database_url(db), tree_size)
    except (StoreUnavailable, LookupError) as e:
        raise _fail(str(e)) from None
    _emit(note, output)


# --- proofs and bundles ----------------------------------------------------------------------

@app.command("prove-inclusion")
def prove_inclusion(
    db: DbOpt = None,
    case_id: Annotated[str | None, typer.Option(help="the case (aggregate) id")] = None,
    version: Annotated[int | None, typer.Option(help="the event's version in the case")] = None,
    notification_id: Annotated[int | None, typer.Option(help="or the event's log id")] = None,
    tree_size: Annotated[int | None, typer.Option(help="checkpoint size (default latest)")] = None,
    output: OutOpt = None,
) -> None:
    """Proof that an event is in the log under a signed checkpoint (JSON)."""
    try:
        doc = inclusion_proof(database_url(db), notification_id=notification_id,
                              case_id=case_id, version=version, tree_size=tree_size)
    except (StoreUnavailable, LookupError, ValueError) as e:
        raise _fail(str(e)) from None
    _emit(_json(doc), output)


@app.command("prove-consistency")
def prove_consistency(
    db: DbOpt = None,
    first: Annotated[int | None, typer.Option(help="tree size of the earlier checkpoint")] = None,
    second: Annotated[int | None, typer.Option(help="later checkpoint (default latest)")] = None,
    from_checkpoint: Annotated[Path | None, typer.Option(
        help="a witness-held checkpoint file; its size is used as --first")] = None,
    output: OutOpt = None,
) -> None:
    """Proof that a later checkpoint extends an earlier one (JSON)."""
    if from_checkpoint is not None:
        try:
            first = parse_checkpoint(from_checkpoint.read_text(encoding="utf-8")).tree_size
        except (OSError, ValueError) as e:
            raise _fail(f"cannot read {from_checkpoint}: {e}") from None
    if first is None:
        raise _fail("give --first or --from-checkpoint")
    try:
        doc = consistency_proof(database_url(db), first, second)
    except (StoreUnavailable, LookupError, ValueError) as e:
        raise _fail(str(e)) from None
    _emit(_json(doc), output)


@app.command()
def bundle(
    case_id: Annotated[str, typer.Argument(help="the case number (信访件编号) or its aggregate id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="bundle file to write")],
    db: DbOpt = None,
    keys: KeysOpt = None,
    no_checkpoint: Annotated[bool, typer.Option(
        help="do not sign a fresh checkpoint; use the latest one")] = False,
) -> None:
    """One file with a case's events, their inclusion proofs and the signed checkpoint,
    verifiable offline with verifier/casetrail_verify.py."""
    named = case_id
    try:
        UUID(case_id)
    except ValueError:
        from domain.case import case_id_for
        case_id = str(case_id_for(case_id))
    try:
        doc = build_bundle(database_url(db), case_id, keys, issue=not no_checkpoint)
    except LogTampered as e:
        raise _fail(str(e), EXIT_TAMPERED) from None
    except LookupError:
        raise _fail(f"✗ 信访事项不存在 (case.not_found): No case {named!r} in the log; "
                    "nothing written") from None
    except (StoreUnavailable, ValueError) as e:
        raise _fail(str(e)) from None
    output.write_text(_json(doc), encoding="utf-8")
    err.print(f"{len(doc['events'])} events of case {doc['case_id']} under checkpoint "
              f"size {doc['checkpoint_summary']['tree_size']} written to {output}")
    if doc["versions_not_yet_covered"]:
        err.print(f"[yellow]versions {doc['versions_not_yet_covered']} are not covered by the "
                  "checkpoint yet[/yellow]")
    err.print(f"verify with: python verifier/casetrail_verify.py {output} --pubkey <published key>")


# --- verify ----------------------------------------------------------------------------------

def print_verify_report(report: dict[str, Any], console: Console | None = None) -> None:
    """Human-readable verify report."""
    c = console or out
    colour = {EXIT_INTACT: "green", EXIT_TAMPERED: "red", EXIT_UNREADABLE: "yellow"}[
        report["exit_code"]]
    c.print(f"[bold {colour}]{report['status'].upper()}[/bold {colour}]  {report.get('database', '')}")
    t = Table(show_header=False, box=None)
    for key, label in (("events", "events in store"), ("tree_size", "events in the log"),
                       ("checkpoints", "signed checkpoints"),
                       ("witnesses_checked", "witness checkpoints checked"),
                       ("origin", "log"), ("elapsed_s", "seconds"), ("events_per_s", "events/s")):
        if report.get(key) is not None:
            t.add_row(label, str(report[key]))
    c.print(t)
    fb = report.get("first_bad")
    if fb:
        c.print(f"[bold red]first bad position: {fb.get('position')}[/bold red]"
                + (f"  notification id {fb['notification_id']}" if "notification_id" in fb else "")
                + (f"  case {fb['case_id']}" if "case_id" in fb else "")
                + (f"  version {fb['originator_version']}" if "originator_version" in fb else ""))
    for p in report.get("problems", []):
        c.print(f"[red]TAMPERED[/red] {p['kind']}: {p['detail']}", soft_wrap=True)
    if report.get("more_problems"):
        c.print(f"[red]... and {report['more_problems']} more[/red]")
    for e in report.get("errors", []):
        c.print(f"[yellow]CANNOT READ[/yellow] {e}", soft_wrap=True)
    for w in report.get("warnings", []):
        c.print(f"[dim]note: {w}[/dim]", soft_wrap=True)


@app.command()
def verify(
    db: DbOpt = None,
    keys: KeysOpt = None,
    witness: Annotated[list[Path] | None, typer.Option(
        "--witness", help="checkpoint file held by a witness (repeatable)")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    thorough: Annotated[bool, typer.Option(
        help="also compare every stored leaf row, not one subtree hash per 8,192 events")] = False,
) -> None:
    """Re-read the whole store, recompute every leaf and checkpoint root, check signatures and
    witness checkpoints. Exit code 0 intact, 1 tampered, 2 cannot read."""
    code, report = run_verify(database_url(db), witness or [], keys, thorough=thorough)
    if json_output:
        sys.stdout.write(_json(report))
    else:
        print_verify_report(report)
    raise typer.Exit(code)


def main() -> None:  # pragma: no cover - convenience entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
