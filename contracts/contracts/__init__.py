"""Contracts between the services: the event envelope, topic names and event payloads.

This is the only code the services share about each other. A breaking change to an
event makes a new topic version (``...v2``); within one version only additive changes.
"""

from contracts import events, topics
from contracts.envelope import Event, new_event_id

__all__ = ["Event", "events", "new_event_id", "topics"]
