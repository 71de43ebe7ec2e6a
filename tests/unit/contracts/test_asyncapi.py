"""The AsyncAPI document FastStream generates for each worker lists the events it consumes and publishes."""

from __future__ import annotations

import importlib
import json

import pytest

from contracts import events

EXPECTED = {
    "assemblies": ({events.DeliveryReported}, set()),
    "batches": (
        {events.CommunicationsGenerated, events.DeliveryReported, events.LetterRendered},
        {events.GenerationRequested, events.DeliveryRequested, events.BatchClosed},
    ),
    "generator": ({events.GenerationRequested}, {events.CommunicationsGenerated}),
    "delivery": ({events.DeliveryRequested, events.BatchClosed}, {events.DeliveryReported}),
    "documents": ({events.CommunicationsGenerated}, {events.LetterRendered}),
}


@pytest.mark.parametrize("service", sorted(EXPECTED))
def test_each_worker_documents_the_events_it_consumes_and_publishes(service: str) -> None:
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    app = bootstrap.create_app()
    document = app.state.runtime.asyncapi()
    text = json.dumps(document)
    consumes, publishes = EXPECTED[service]
    operations = document["operations"].values()
    received = {op["channel"]["$ref"] for op in operations if op["action"] == "receive"}
    sent = {op["channel"]["$ref"] for op in operations if op["action"] == "send"}
    for event_type in consumes:
        assert any(event_type.TOPIC in ref for ref in received), (
            f"{service} does not document consuming {event_type.TOPIC}"
        )
        assert event_type.__name__ in text
    for event_type in publishes:
        assert any(event_type.TOPIC in ref for ref in sent), (
            f"{service} does not document publishing {event_type.TOPIC}"
        )
        assert event_type.__name__ in text
