"""``python -m generator.demo``: the demo organizations' communication types and published templates.

Idempotent: ids are derived from the organization and the names, and existing records are
left as they are. Creates, for each demo organization:

* "Annual test notice" (batch): emails to owners and property managers, a letter when a
  contact has no usable email, one notice per contact per location listing its assemblies;
* "First notice" (auto, 30 days before the due date) and "Overdue notice" (auto, the day
  after), one per assembly;
* "Program notice" (batch, letters to owners, grouped by location).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from generator.adapters.repository import Repository
from generator.bootstrap import MIGRATIONS
from generator.config import Settings
from generator.service_layer.catalog import Catalog
from servicekit.db import create_engine, create_session_factory
from servicekit.demo import DEMO_ORG_ID, OTHER_ORG_ID
from servicekit.migrations import upgrade

log = logging.getLogger("generator.demo")

DEMO_NAMESPACE = UUID("9c4e2f1a-6b3d-5c8e-a7f9-0d1e2f3a4b5c")

_ASSEMBLY_LINE = (
    "{{ a.assembly_type }} {{ a.size }}{% if a.make %} {{ a.make }}{% endif %}, serial {{ a.serial_number }}"
    "{% if a.placement %} ({{ a.placement }}){% endif +%}"
)

ANNUAL_SUBJECT = "Annual backflow test due {{ batch.due_date }} – {{ location.address }}"
ANNUAL_TEXT = (
    """Dear {{ contact.first_name | default(contact.name) }},

Our records show that the backflow prevention {{ "assembly" if assemblies | length == 1 else "assemblies" }} \
listed below at {{ location.address }} (account {{ location.account_number }}) must be tested by {{ batch.due_date }}.

{% for a in assemblies %}
  - """
    + _ASSEMBLY_LINE
    + """, last tested {{ a.last_tested_on | default("never") }}
{% endfor %}

Please have a certified backflow tester test each assembly and send us the results before the due date. \
An assembly that fails must be repaired and tested again.

Questions? Reply to this email{% if org.phone %} or call us at {{ org.phone }}{% endif %}.

Thank you for helping keep our drinking water safe,
{{ org.name }}
Cross-Connection Control Program
"""
)
ANNUAL_HTML = """<p>Dear {{ contact.first_name | default(contact.name) }},</p>
<p>Our records show that the backflow prevention {{ "assembly" if assemblies | length == 1 else "assemblies" }}
listed below at <strong>{{ location.address }}</strong> (account {{ location.account_number }})
must be tested by <strong>{{ batch.due_date }}</strong>.</p>
<table style="border-collapse:collapse" cellpadding="6">
<tr style="background:#eef3f8"><th align="left">Serial</th><th align="left">Type</th><th align="left">Size</th>\
<th align="left">Location</th><th align="left">Last tested</th></tr>
{% for a in assemblies %}
<tr><td>{{ a.serial_number }}</td><td>{{ a.assembly_type }}</td><td>{{ a.size | default("") }}</td>\
<td>{{ a.placement | default("") }}</td><td>{{ a.last_tested_on | default("never") }}</td></tr>
{% endfor %}
</table>
<p>Please have a certified backflow tester test each assembly and send us the results before the due date.
An assembly that fails must be repaired and tested again.</p>
<p>Questions? Reply to this email{% if org.phone %} or call us at {{ org.phone }}{% endif %}.</p>
<p>Thank you for helping keep our drinking water safe,<br>{{ org.name }}<br>Cross-Connection Control Program</p>
"""
ANNUAL_LETTER = """**Annual backflow test due {{ batch.due_date }}**

Dear {{ contact.name }},

Our records show that the backflow prevention {{ "assembly" if assemblies | length == 1 else "assemblies" }} \
listed below at **{{ location.address }}** (account {{ location.account_number }}) must be tested \
by **{{ batch.due_date }}**.

[[assemblies_table]]

To stay in compliance:

- Have a certified backflow tester test each assembly before the due date.
- Make sure the tester sends the test results to {{ org.name }}.
- Repair or replace any assembly that fails, then have it tested again.

Questions? {% if org.phone %}Call us at {{ org.phone }}{% if org.reply_to %} or write{% endif %}\
{% else %}Write{% endif %}{% if org.reply_to %} to {{ org.reply_to }}{% endif %}.
"""


def _single_notice(headline: str, sentence: str) -> dict[str, str]:
    return {
        "email_subject": headline + ": assembly {{ assembly.serial_number }} at {{ location.address }}",
        "email_body_text": "Dear {{ contact.first_name | default(contact.name) }},\n\n"
        + sentence
        + "\n\n  - "
        + _ASSEMBLY_LINE.replace("a.", "assembly.")
        + "\n\nPlease have a certified backflow tester test it and send us the results."
        + "\n\nThank you,\n{{ org.name }}\n{% if org.phone %}{{ org.phone }}\n{% endif %}",
        "letter_body": "**"
        + headline
        + "**\n\nDear {{ contact.name }},\n\n"
        + sentence
        + "\n\n[[assemblies_table]]\n\nPlease have a certified backflow tester test it and send us the results.\n",
    }


FIRST_NOTICE = _single_notice(
    "Backflow test due {{ assembly.next_test_due }}",
    "The backflow prevention assembly below at {{ location.address }} (account {{ location.account_number }}) "
    "is due for its annual test on {{ assembly.next_test_due }}.",
)
OVERDUE_NOTICE = _single_notice(
    "Overdue backflow test",
    "The backflow prevention assembly below at {{ location.address }} (account {{ location.account_number }}) "
    "was due for its annual test on {{ assembly.next_test_due }} and we have not received a passing test. "
    "Please have it tested as soon as possible.",
)
PROGRAM_LETTER = """**{{ batch.name }}**

Dear {{ contact.name }},

{{ org.name }} is writing to the owners of properties with backflow prevention assemblies about a change \
to our cross-connection control program. Our records list the following at **{{ location.address }}**:

[[assemblies_table]]

Please review the enclosed program information and keep this letter with your property records. \
No action is needed before **{{ batch.due_date }}**.
"""


@dataclass(frozen=True)
class DemoType:
    name: str
    type_fields: dict[str, Any]
    template_name: str
    settings: dict[str, Any]
    content: dict[str, str] = field(default_factory=dict)


CATALOG: tuple[DemoType, ...] = (
    DemoType(
        "Annual test notice",
        {"source": "assembly", "trigger": "batch"},
        "Annual test notice (email, letter when no email)",
        {
            "contact_types": ["owner", "property_manager"],
            "methods": ["email", "letter"],
            "first_available_method_only": True,
            "group_by_location": True,
        },
        {
            "email_subject": ANNUAL_SUBJECT,
            "email_body_text": ANNUAL_TEXT,
            "email_body_html": ANNUAL_HTML,
            "letter_body": ANNUAL_LETTER,
        },
    ),
    DemoType(
        "First notice",
        {"source": "assembly", "trigger": "auto", "offset_days": -30},
        "First notice",
        {"contact_types": ["owner"], "methods": ["email", "letter"], "first_available_method_only": True},
        FIRST_NOTICE,
    ),
    DemoType(
        "Overdue notice",
        {"source": "assembly", "trigger": "auto", "offset_days": 1},
        "Overdue notice",
        {"contact_types": ["owner"], "methods": ["email", "letter"], "first_available_method_only": True},
        OVERDUE_NOTICE,
    ),
    DemoType(
        "Program notice",
        {"source": "location", "trigger": "batch"},
        "Program notice (letter)",
        {"contact_types": ["owner"], "methods": ["letter"], "group_by_location": True},
        {"letter_body": PROGRAM_LETTER},
    ),
)


def _fixed(value: UUID) -> Callable[[], UUID]:
    return lambda: value


def demo_id(org_id: UUID, kind: str, name: str) -> UUID:
    return uuid5(DEMO_NAMESPACE, f"{org_id}:{kind}:{name}")


async def seed(settings: Settings, org_ids: tuple[UUID, ...] = (DEMO_ORG_ID, OTHER_ORG_ID)) -> int:
    """Create what is missing; answer how many records were created."""
    await asyncio.to_thread(upgrade, settings.database_url, MIGRATIONS)
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    created = 0
    try:
        for org_id in org_ids:
            for spec in CATALOG:
                type_id = demo_id(org_id, "type", spec.name)
                template_id = demo_id(org_id, "template", spec.template_name)
                async with sessions() as session:
                    repo = Repository(session)
                    has_type = await repo.get_type(org_id, type_id) is not None
                    has_template = await repo.get_template(org_id, template_id) is not None
                if not has_type:
                    await Catalog(sessions, new_id=_fixed(type_id)).create_type(
                        org_id, {"name": spec.name, **spec.type_fields}
                    )
                    created += 1
                if not has_template:
                    catalog = Catalog(sessions, new_id=_fixed(template_id))
                    await catalog.create_template(
                        org_id,
                        {
                            "communication_type_id": type_id,
                            "name": spec.template_name,
                            "settings": spec.settings,
                            **spec.content,
                        },
                    )
                    await catalog.publish_template(org_id, template_id)
                    created += 1
    finally:
        await engine.dispose()
    return created


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    created = asyncio.run(seed(Settings()))
    log.info("generator demo data: %s record(s) created", created)


if __name__ == "__main__":
    main()
