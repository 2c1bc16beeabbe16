"""Casetrail domain: aggregates, events, value objects and the rules as data."""
