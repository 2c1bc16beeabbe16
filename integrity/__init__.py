"""Tamper evidence: the Merkle log, signed checkpoints, the follower, proofs and verify."""
