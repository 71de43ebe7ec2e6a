"""Every event of the flow round-trips through JSON with its envelope."""

from __future__ import annotations

import json
from datetime import date
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts import events, topics
from contracts.snapshots import (
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    MemberSnapshot,
    OrganizationSnapshot,
    PostalAddress,
    Recipient,
)

ORG = uuid4()
ADDRESS = PostalAddress(line1="12 Mill Rd", city="Riverbend", state="OR", postal_code="97001")
ORGANIZATION = OrganizationSnapshot(id=ORG, name="Riverbend Water", mailing_address=ADDRESS, from_email="n@r.example")
LOCATION = LocationSnapshot(id=uuid4(), account_number="A-1", address=ADDRESS)
ASSEMBLY = AssemblySnapshot(
    id=uuid4(), location_id=LOCATION.id, serial_number="RP-1", assembly_type="RP", next_test_due=date(2027, 1, 1)
)
CONTACT = ContactSnapshot(id=uuid4(), location_id=LOCATION.id, contact_type="owner", name="Ada", email="a@x.example")


def samples() -> list[events.Event]:
    batch_id = uuid4()
    comm = events.GeneratedCommunication(
        communication_id=uuid4(),
        location_id=LOCATION.id,
        contact_id=CONTACT.id,
        assembly_ids=[ASSEMBLY.id],
        method="email",
        recipient=Recipient(contact_id=CONTACT.id, name="Ada", email="a@x.example"),
        subject="Test due",
        body_text="Hello",
        location=LOCATION,
        assemblies=[ASSEMBLY],
    )
    return [
        events.GenerationRequested(
            org_id=ORG,
            batch_id=batch_id,
            chunk_index=0,
            chunk_count=1,
            template_id=uuid4(),
            template_version=3,
            batch_name="Spring",
            due_date=date(2027, 3, 1),
            organization=ORGANIZATION,
            members=[MemberSnapshot(assembly=ASSEMBLY, location=LOCATION, contacts=[CONTACT])],
        ),
        events.CommunicationsGenerated(
            org_id=ORG,
            batch_id=batch_id,
            chunk_index=0,
            chunk_count=1,
            template_id=uuid4(),
            template_version=3,
            organization=ORGANIZATION,
            communications=[comm],
            skipped=[events.SkippedMember(assembly_id=uuid4(), location_id=LOCATION.id, reason="no contact")],
        ),
        events.DeliveryRequested(
            org_id=ORG,
            communication_id=comm.communication_id,
            contact_id=CONTACT.id,
            to_email="a@x.example",
            from_email="n@r.example",
            subject="s",
            body_text="b",
            message_id=f"<{comm.communication_id}@r.example>",
        ),
        events.DeliveryReported(
            org_id=ORG,
            communication_id=comm.communication_id,
            contact_id=CONTACT.id,
            status="failed",
            error="550 mailbox unavailable",
            permanent=True,
            reported_at="2026-12-01T10:00:00Z",
        ),
        events.BatchClosed(org_id=ORG, batch_id=batch_id, state="complete"),
        events.LetterRendered(org_id=ORG, communication_id=comm.communication_id, document_id=uuid4(), pages=2),
    ]


@pytest.mark.parametrize("event", samples(), ids=lambda e: type(e).__name__)
def test_every_event_round_trips_through_json(event: events.Event) -> None:
    data = event.to_json_bytes()
    again = type(event).from_json_bytes(data)
    assert again == event
    envelope = json.loads(data)
    for field in ("event_id", "event_type", "schema_version", "occurred_at", "org_id", "correlation_id"):
        assert field in envelope


def test_every_event_of_the_flow_has_a_versioned_topic_of_its_owner() -> None:
    assert {e.TOPIC for e in events.ALL_EVENTS} == set(topics.ALL)
    for event_type in events.ALL_EVENTS:
        owner, _name, version = event_type.TOPIC.split(".")
        assert owner in {"batches", "generator", "delivery", "documents", "assemblies"}
        assert version.startswith("v") and version[1:].isdigit()
    assert topics.dlq(topics.DELIVERY_REQUESTED) == "batches.delivery-requested.v1.dlq"


def test_an_event_of_another_type_is_refused() -> None:
    data = samples()[4].to_json_bytes()  # a BatchClosed
    with pytest.raises(ValidationError):
        events.LetterRendered.from_json_bytes(data)


def test_a_generation_request_with_members_spliced_in_as_json_reads_back_as_the_same_request() -> None:
    members = [MemberSnapshot(assembly=ASSEMBLY, location=LOCATION, contacts=[CONTACT])] * 3
    fields = {
        "org_id": ORG,
        "batch_id": uuid4(),
        "chunk_index": 0,
        "chunk_count": 1,
        "template_id": uuid4(),
        "template_version": 1,
        "batch_name": 'Spring "members":[] notices',  # the marker inside a string stays a string
        "organization": ORGANIZATION,
    }
    empty = events.GenerationRequested(**fields, members=[])
    payload = empty.json_with_members([m.model_dump_json().encode() for m in members])
    read = events.GenerationRequested.model_validate_json(payload)
    assert read == events.GenerationRequested(
        **fields, members=members, event_id=empty.event_id, occurred_at=empty.occurred_at
    )
    assert read.batch_name == 'Spring "members":[] notices'
    with pytest.raises(ValueError, match="members=\\[\\]"):
        read.json_with_members([])


def test_member_lines_carry_ids_and_snapshots_that_read_back_unchanged() -> None:
    from contracts.snapshots import member_lines, read_member_lines

    odd = CONTACT.model_copy(update={"name": "Tab\there\nNewline"})  # escaped in JSON: lines stay lines
    members = [MemberSnapshot(assembly=ASSEMBLY, location=LOCATION, contacts=[odd, CONTACT])] * 2
    body = member_lines(
        ORGANIZATION.model_dump_json(), [(m.assembly.id, m.location.id, m.model_dump_json()) for m in members]
    )
    organization, lines = read_member_lines(body)
    assert OrganizationSnapshot.model_validate_json(organization) == ORGANIZATION
    assert [(a, loc) for a, loc, _ in lines] == [(str(ASSEMBLY.id), str(LOCATION.id))] * 2
    assert [MemberSnapshot.model_validate_json(m) for _, _, m in lines] == members
    with pytest.raises(ValueError):
        read_member_lines(b"{}\nnot-a-member-line")
