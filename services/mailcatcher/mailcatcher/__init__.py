"""A mail catcher for development and tests.

A real SMTP server (aiosmtpd) on 127.0.0.1 that stores every message it accepts, and a
small HTTP API to list and read them. It can be told to misbehave (reject some
recipients with 550, answer 451 to the next N messages, slow down) so that delivery's
failure handling can be tested against a real server.
"""
