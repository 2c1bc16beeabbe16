"""Standalone verification of Casetrail's tamper-evident log (see ``casetrail_verify``)."""
