"""Casetrail's interfaces: the HTTP API, the CLI and the web pages."""
