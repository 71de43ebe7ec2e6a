"""Sends email over SMTP, retries, reports each result."""
