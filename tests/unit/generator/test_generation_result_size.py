"""A chunk's result must fit in one Kafka message: the size estimate never under-counts."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from contracts.events import CommunicationsGenerated
from generator.demo import CATALOG
from generator.domain.generation import BatchContext, generate_chunk
from generator.domain.template_settings import TemplateSettings
from generator.domain.templates import CompiledTemplate, TemplateContent
from generator.service_layer.generation import estimated_size
from tests.unit.generator.builders import a_contact, a_location, an_org, members_at


def test_the_size_estimate_of_a_chunk_result_is_never_below_its_serialized_size() -> None:
    org = an_org()
    for spec in CATALOG:
        members = []
        for n in range(1, 8):
            loc = a_location(name='Quote " and \\ backslash')
            members += members_at(loc, [a_contact(loc, "owner", name='Ann "A" O\'Neil'), a_contact(loc, "tenant")], n)
        settings = TemplateSettings.from_dict({**spec.settings, "contact_types": ["owner", "tenant"]})
        batch = BatchContext(uuid4(), "Spring", date(2026, 4, 15), date(2026, 3, 1))
        chunk = generate_chunk(members, settings, CompiledTemplate(TemplateContent(**spec.content)), org, batch)
        event = CommunicationsGenerated(
            org_id=org.id,
            batch_id=batch.batch_id,
            chunk_index=0,
            chunk_count=1,
            template_id=uuid4(),
            template_version=1,
            organization=org,
            communications=chunk.communications,
        )
        actual = len(event.to_json_bytes()) - len(event.model_copy(update={"communications": []}).to_json_bytes())
        assert estimated_size(chunk.communications) >= actual, spec.name
