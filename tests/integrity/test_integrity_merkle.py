"""RFC 6962 hashing and proofs, against the published test vectors.

Vectors: the reference leaves and roots of the certificate-transparency / transparency-dev
Go implementations (``proof/verify_test.go``, ``testonly/constants.go``); proof vectors use
1-based leaf numbers there and 0-based indices here.
"""
from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.hashing import leaf_hashes
from integrity.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    consistency_proof_ranges,
    fold,
    hash_children,
    hash_leaf,
    inclusion_proof,
    inclusion_proof_ranges,
    merkle_root,
    perfect_subtrees,
    proof_from_nodes,
    split_point,
    verify_consistency,
    verify_inclusion,
)
from verifier.casetrail_verify import encode_leaf, event_leaf_hash

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
LH = [hash_leaf(x) for x in LEAVES]


def _h(*xs: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in xs]


# (leaf index, tree size, proof)
INCLUSION = [
    (0, 8, _h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (5, 8, _h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (1, 5, _h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
    (0, 1, []),
]

# (size1, size2, proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, _h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (6, 8, _h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 5, _h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
    (6, 7, _h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_empty_tree_and_reference_roots() -> None:
    assert EMPTY_ROOT == ROOTS[0]
    for n in range(len(LEAVES) + 1):
        assert merkle_root(LH[:n]) == ROOTS[n], n


def test_domain_separation() -> None:
    # a leaf is never confused with an interior node of the same bytes
    a, b = LH[1], LH[2]
    assert hash_leaf(a + b) != hash_children(a, b)
    assert hash_leaf(b"") == ROOTS[1]


def test_split_point() -> None:
    assert [split_point(n) for n in (2, 3, 4, 5, 8, 9, 1000)] == [1, 2, 2, 4, 4, 8, 512]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(LH, index, size) == proof
    assert verify_inclusion(LH[index], index, size, proof, ROOTS[size])


def _inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes):
    yield index - 1, size, root, leaf, proof
    yield index + 1, size, root, leaf, proof
    yield index ^ 2, size, root, leaf, proof
    yield index, size * 2, root, leaf, proof
    yield index, size // 2, root, leaf, proof
    yield index, size, root, b"WrongLeaf", proof
    yield index, size, EMPTY_ROOT, leaf, proof
    yield index, size, SOME_HASH, leaf, proof
    yield index, size, root, leaf, [*proof, b""]
    yield index, size, root, leaf, [*proof, root]
    yield index, size, root, leaf, [b"", *proof]
    yield index, size, root, leaf, [root, *proof]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        yield index, size, root, leaf, bad
    if proof:
        yield index, size, root, leaf, proof[:-1]
    if len(proof) > 1:
        yield index, size, root, leaf, [proof[0], SOME_HASH, *proof[1:]]


@pytest.mark.parametrize(("index", "size", "proof"), [v for v in INCLUSION if v[1] > 1])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, proof: list[bytes]) -> None:
    for probe in _inclusion_probes(index, size, proof, ROOTS[size], LH[index]):
        i, n, root, leaf, p = probe
        if (i, n, root, leaf, p) == (index, size, ROOTS[size], LH[index], proof):
            continue
        assert not verify_inclusion(leaf, i, n, p, root), probe[:2]


def test_single_entry_inclusion() -> None:
    h = hash_leaf(b"data")
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], h)
    for index, size in ((0, 0), (1, 0), (2, 1)):
        assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_consistency_vectors(size1: int, size2: int, proof: list[bytes]) -> None:
    assert consistency_proof(LH, size1, size2) == proof
    assert verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2], proof)


@pytest.mark.parametrize(("size1", "size2", "proof"), [v for v in CONSISTENCY if v[2]])
def test_corrupted_consistency_proofs_fail(size1: int, size2: int, proof: list[bytes]) -> None:
    r1, r2 = ROOTS[size1], ROOTS[size2]
    probes = [
        (size1 - 1, size2, r1, r2, proof), (size1 + 1, size2, r1, r2, proof),
        (size1 ^ 2, size2, r1, r2, proof), (size1, size2 * 2, r1, r2, proof),
        (size1, size2 // 2, r1, r2, proof), (size1, size2, b"WrongRoot", r2, proof),
        (size1, size2, r1, b"WrongRoot", proof), (size1, size2, r2, r1, proof),
        (size1, size2, r1, r2, []), (size1, size2, r1, r2, [*proof, b""]),
        (size1, size2, r1, r2, [*proof, r1]), (size1, size2, r1, r2, [*proof, r2]),
        (size1, size2, r1, r2, [b"", *proof]), (size1, size2, r1, r2, [r1, *proof]),
        (size1, size2, r1, r2, [r2, *proof]), (size1, size2, r1, r2, [proof[0], *proof]),
        (size1, size2, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        probes.append((size1, size2, r1, r2, bad))
    for s1, s2, a, b, p in probes:
        if (s1, s2, a, b, p) == (size1, size2, r1, r2, proof):
            continue
        assert not verify_consistency(s1, s2, a, b, p), (s1, s2)


def test_consistency_edge_cases() -> None:
    r1, r2 = b"don't care 1", b"don't care 2"
    assert not verify_consistency(0, 0, r1, r2, [])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [])
    assert verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    assert not verify_consistency(1, 0, ROOTS[1], ROOTS[0], [])  # time travel
    assert not verify_consistency(2, 1, ROOTS[2], ROOTS[1], [])
    assert not verify_consistency(1, 2, ROOTS[1], ROOTS[2], [])  # empty proof
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, ROOTS[1], ROOTS[1], [EMPTY_ROOT])


def _leaves(n: int) -> list[bytes]:
    return [hash_leaf(i.to_bytes(4, "big")) for i in range(n)]


def test_every_proof_up_to_64() -> None:
    leaves = _leaves(64)
    roots = [merkle_root(leaves[:n]) for n in range(65)]
    for n in range(1, 65):
        for i in range(n):
            assert verify_inclusion(leaves[i], i, n, inclusion_proof(leaves, i, n), roots[n])
        for m in range(n + 1):
            assert verify_consistency(m, n, roots[m], roots[n], consistency_proof(leaves, m, n))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=70), min_size=1, max_size=12))
def test_compact_range_stores_every_perfect_node(chunks: list[int]) -> None:
    n = sum(chunks)
    leaves = _leaves(n)
    cr, nodes, i = CompactRange(), [], 0
    for c in chunks:
        cr.append(leaves[i:i + c], nodes)
        i += c
        assert cr.root() == merkle_root(leaves[:i])
    table = {(0, j): h for j, h in enumerate(leaves)} | {(lvl, idx): h for lvl, idx, h in nodes}
    assert len(nodes) == sum(n >> lvl for lvl in range(1, n.bit_length() + 1))
    for lvl, idx, h in nodes:
        assert h == merkle_root(leaves[idx << lvl:(idx + 1) << lvl])

    def get(w: set) -> dict:
        return {k: table[k] for k in w}

    # a compact range can be rebuilt from the stored border, and proofs come from lookups
    border = CompactRange.border(n)
    assert CompactRange(n, [table[b] for b in border]).root() == cr.root()
    for idx in range(0, n, max(1, n // 7)):
        assert proof_from_nodes(inclusion_proof_ranges(idx, n), get) == inclusion_proof(leaves, idx)
    for m in range(0, n + 1, max(1, n // 5)):
        assert proof_from_nodes(consistency_proof_ranges(m, n), get) == consistency_proof(leaves, m, n)


def test_perfect_subtrees_and_fold() -> None:
    assert perfect_subtrees(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert perfect_subtrees(8, 13) == [(2, 2), (0, 12)]
    leaves = _leaves(13)
    nodes = [merkle_root(leaves[i << lvl:(i + 1) << lvl]) for lvl, i in perfect_subtrees(0, 13)]
    assert fold(nodes) == merkle_root(leaves)


# --- leaf encoding ---------------------------------------------------------------------------

CASE = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016cb48c7b2")


def test_leaf_encoding_is_the_same_for_sqlite_and_postgres_shapes() -> None:
    state = '{"a":"中文"}'.encode()
    sqlite_row = (7, CASE.hex, 3, "casetrail:PetitionCase.Accepted", state)
    pg_row = (7, CASE.bytes, 3, "casetrail:PetitionCase.Accepted", state)
    h = event_leaf_hash(*sqlite_row)
    assert h == event_leaf_hash(*pg_row) == event_leaf_hash(7, str(CASE), 3, sqlite_row[3], state)
    assert leaf_hashes([sqlite_row, pg_row]) == [h, h]
    assert encode_leaf(*sqlite_row)[0] == 1


@pytest.mark.parametrize("change", [
    {0: 8}, {1: uuid.uuid4().hex}, {2: 4}, {3: "casetrail:PetitionCase.Closed"},
    {4: b'{"a":"x"}'}, {3: None}, {4: None}, {1: CASE.hex.upper()}, {1: str(CASE)},
    {2: "3"}, {4: '{"a":"中文"}'},
])
def test_every_field_is_committed(change: dict[int, object]) -> None:
    row = [7, CASE.hex, 3, "casetrail:PetitionCase.Accepted", '{"a":"中文"}'.encode()]
    changed = list(row)
    for k, v in change.items():
        changed[k] = v
    same = change == {1: str(CASE)}  # the dashed text form is the same UUID
    assert (event_leaf_hash(*changed) == event_leaf_hash(*row)) is same
    assert leaf_hashes([tuple(changed)]) == [event_leaf_hash(*changed)]


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**63), 2**63 - 1), st.uuids(), st.integers(-(2**63), 2**63 - 1),
       st.one_of(st.none(), st.text()), st.one_of(st.none(), st.binary()))
def test_fast_path_matches_reference(nid: int, oid: uuid.UUID, ver: int, topic: str | None,
                                     state: bytes | None) -> None:
    for shape in (oid.hex, oid.bytes):
        assert leaf_hashes([(nid, shape, ver, topic, state)]) == [
            event_leaf_hash(nid, shape, ver, topic, state)]
