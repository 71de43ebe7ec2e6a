"""A chunk's result on PostgreSQL: parsed once, the event validated around its communications."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace
from uuid import uuid4

import pytest
from pydantic import ValidationError

from batches.entrypoints.consumers import GeneratedChunkHeader, decode_chunk_header
from contracts.events import GenerationRequested
from servicekit.kafka import PoisonMessage
from tests.unit.batches.batches_fakes import contact, location, member, organization, play_generator


def a_result() -> bytes:
    org_id = uuid4()
    loc = location()
    members = [member(loc, [contact(loc, email="pat@example.org"), contact(loc, first_name="")]) for _ in range(3)]
    request = GenerationRequested(
        org_id=org_id,
        batch_id=uuid4(),
        chunk_index=2,
        chunk_count=5,
        template_id=uuid4(),
        template_version=1,
        batch_name="Spring",
        due_date=date(2026, 4, 1),
        organization=organization(org_id),
        members=members,
    )
    return play_generator(request).to_json_bytes()


async def decode(body: bytes) -> GeneratedChunkHeader:
    header = await decode_chunk_header(SimpleNamespace(body=body))  # type: ignore[arg-type]
    assert isinstance(header, GeneratedChunkHeader)
    return header


async def test_the_header_counts_the_communications_and_keeps_them_as_decoded_json() -> None:
    body = a_result()
    header = await decode(body)
    sent = json.loads(body)
    assert header.chunk_index == 2 and header.chunk_count == 5
    assert str(header.batch_id) == sent["batch_id"]
    assert len(header.communications) == len(sent["communications"]) == 6
    assert header.communications_json == sent["communications"]
    assert header.organization.name == sent["organization"]["name"]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d.update(communications="none"),  # not a list
        lambda d: d["communications"].append(["not", "an", "object"]),
        lambda d: d.pop("batch_id"),  # the envelope is still validated
        lambda d: d.update(chunk_index="first"),
    ],
)
async def test_a_malformed_result_is_refused_as_a_validation_error(spoil) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(a_result())
    spoil(data)
    with pytest.raises(ValidationError):
        await decode(json.dumps(data).encode())


@pytest.mark.parametrize("body", [b'{"communications": [', b"\xff\xfe", b""])
async def test_bytes_that_are_not_json_go_to_the_dead_letters(body: bytes) -> None:
    with pytest.raises(PoisonMessage):
        await decode(body)


async def test_a_chunk_is_counted_alike_from_its_json_and_from_its_decoded_communications() -> None:
    from batches.service_layer.generation import chunk_counts
    from contracts.events import CommunicationsGenerated

    body = a_result()
    counted = chunk_counts((await decode(body)).communications_json)
    assert counted == chunk_counts(CommunicationsGenerated.from_json_bytes(body).communications)
    assert counted == {"email:generated": 3, "letter:needs_attention": 3}
