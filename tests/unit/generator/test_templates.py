"""Templates: refused when saved with a bad field or syntax; rendered in the sandbox; missing data named."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.snapshots import MemberSnapshot
from generator.domain.generation import BatchContext, generate_chunk
from generator.domain.merge_fields import OBJECT_FIELDS, today_in
from generator.domain.template_check import InvalidTemplate, check_part, validate_template
from generator.domain.template_settings import TemplateSettings
from generator.domain.templates import CompiledTemplate, TemplateContent
from tests.unit.generator.builders import a_contact, a_location, an_assembly, an_org, members_at

GOOD = TemplateContent(
    email_subject="Backflow test due {{ assembly.next_test_due }} for {{ location.address }}",
    email_body_text=(
        "Dear {{ contact.first_name }},\nAssembly {{ assembly.serial_number }} is due by {{ batch.due_date }}."
    ),
    email_body_html="<p>Dear {{ contact.first_name }},</p><p>{{ assembly.serial_number }}</p>",
    letter_body="Dear {{ contact.name }},\n\n[[assemblies_table]]\n\n{{ org.name }}",
)


def problems(source: str, grouped: bool = False):  # type: ignore[no-untyped-def]
    return check_part("email_body_text", source, group_by_location=grouped)


# --- validation at save -----------------------------------------------------------------


def test_a_syntax_error_is_refused_with_its_line() -> None:
    [p] = problems("Dear {{ contact.name }},\n\nYour test is due {{ batch.due_date }\n")
    assert p.line == 3
    assert "line 3" in p.message


def test_an_unknown_attribute_is_refused_naming_the_field() -> None:
    [p] = problems("Hello\n{{ assembly.colour }}")
    assert p.field == "assembly.colour"
    assert p.line == 2
    assert "serial_number" in p.message  # tells the admin what exists


def test_an_unknown_name_is_refused_naming_it() -> None:
    [p] = problems("{{ foo }}")
    assert p.field == "foo"


def test_an_unknown_field_on_a_loop_variable_over_assemblies_is_refused() -> None:
    [p] = problems("{% for a in assemblies %}{{ a.serial_number }} {{ a.colour }}{% endfor %}", grouped=True)
    assert p.field == "assembly.colour"


def test_an_unknown_filter_is_refused_with_its_line() -> None:
    [p] = problems("x\n{{ batch.due_date | shout }}")
    assert p.line == 2 and "shout" in p.message


def test_a_single_assembly_field_is_refused_when_grouping_by_location() -> None:
    [p] = problems("{{ assembly.serial_number }}", grouped=True)
    assert p.field == "assembly"
    assert problems("{{ assembly.serial_number }}", grouped=False) == []


def test_sandbox_escapes_and_includes_are_refused() -> None:
    assert problems("{{ contact.name.__class__ }}")
    assert problems("{% include 'other' %}")


def test_every_documented_merge_field_is_accepted() -> None:
    source = (
        "{{ org.name }} {{ org.phone }} {{ org.address }} {{ location.account_number }} {{ location.address }}"
        " {{ contact.name }} {{ contact.first_name }} {{ assembly.serial_number }} {{ assembly.size }}"
        " {{ batch.name }} {{ batch.due_date | date('%m/%d/%Y') }} {{ today }} {{ additional_contents }}"
        " {% for a in assemblies %}{{ loop.index }} {{ a.make }}{% endfor %}"
    )
    assert problems(source) == []


def test_the_texts_a_method_needs_are_required() -> None:
    with pytest.raises(InvalidTemplate) as err:
        validate_template(TemplateContent(email_subject="Hi"), ("email", "letter"), group_by_location=False)
    assert {p.part for p in err.value.problems} == {"email_body_text", "letter_body"}
    validate_template(TemplateContent(letter_body="Dear {{ contact.name }}"), ("letter",), group_by_location=False)


# --- rendering --------------------------------------------------------------------------

ORG = an_org()
BATCH = BatchContext(batch_id=uuid4(), name="Spring 2026", due_date=date(2026, 4, 15), today=date(2026, 3, 2))


def render_one(content: TemplateContent, s: TemplateSettings | None = None, **contact_kw):  # type: ignore[no-untyped-def]
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "owner", **contact_kw)])
    s = s or TemplateSettings(methods=("email",))
    return generate_chunk(members, s, CompiledTemplate(content), ORG, BATCH).communications


def test_a_complete_record_renders_every_text_and_is_generated() -> None:
    [c] = render_one(GOOD, first_name="Dana")
    assert c.status == "generated" and c.missing_fields == []
    assert c.subject.startswith("Backflow test due March 1, 2026 for 12 Elm St, Springfield, OR 97477")
    assert "Dear Dana," in c.body_text and "due by April 15, 2026" in c.body_text
    assert c.letter_body == ""  # emails carry no letter unless the PDF is attached


def test_missing_data_marks_the_communication_and_names_the_field_never_rendering_empty() -> None:
    [c] = render_one(GOOD, first_name="")
    assert c.status == "needs_attention"
    assert c.missing_fields == ["contact.first_name"]
    assert "Dear [missing: contact.first_name]," in c.body_text
    assert "Dear ," not in c.body_text and "{{" not in c.body_text


def test_a_template_may_test_or_default_a_value_without_it_counting_as_missing() -> None:
    content = TemplateContent(
        email_subject="Notice",
        email_body_text="Dear {{ contact.first_name | default('Customer') }}"
        "{% if contact.first_name %} ({{ contact.first_name }}){% endif %}.",
    )
    [c] = render_one(content, first_name="")
    assert c.status == "generated" and c.body_text == "Dear Customer."


def test_a_missing_value_used_in_arithmetic_is_named_too() -> None:
    content = TemplateContent(email_subject="x", email_body_text="{{ assembly.installed_on.year + 1 }}")
    [c] = render_one(content)
    assert c.status == "needs_attention" and c.missing_fields == ["assembly.installed_on"]
    assert c.body_text.strip()


def test_html_body_escapes_merge_data_and_text_body_does_not() -> None:
    [c] = render_one(GOOD, first_name="<b>Al & Co</b>")
    assert "Dear &lt;b&gt;Al &amp; Co&lt;/b&gt;," in c.body_html
    assert "Dear <b>Al & Co</b>," in c.body_text


def test_the_subject_is_one_line_whatever_the_data() -> None:
    content = TemplateContent(email_subject="Test for\n{{ contact.name }}", email_body_text="x")
    [c] = render_one(content, name="Eve\r\nBcc: victim@example.test")
    assert "\n" not in c.subject and "\r" not in c.subject


def test_dates_render_long_by_default_and_in_any_format_with_the_date_filter() -> None:
    content = TemplateContent(
        email_subject="{{ batch.due_date }}", email_body_text="{{ batch.due_date | date('%m/%d/%Y') }}"
    )
    [c] = render_one(content)
    assert (c.subject, c.body_text) == ("April 15, 2026", "04/15/2026")


def test_today_is_the_request_date_in_the_organizations_timezone() -> None:
    late_evening_pacific = datetime(2026, 3, 3, 5, 30, tzinfo=UTC)  # March 2, 21:30 in Oregon
    assert today_in("America/Los_Angeles", late_evening_pacific) == date(2026, 3, 2)
    assert today_in("Not/AZone", late_evening_pacific) == date(2026, 3, 3)


def test_grouped_letter_lists_every_assembly_and_carries_their_snapshots_for_the_table() -> None:
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "owner")], assemblies=3)
    content = TemplateContent(
        letter_body=(
            "Dear {{ contact.name }},\n{% for a in assemblies %}- {{ a.serial_number }}\n{% endfor %}\n"
            "[[assemblies_table]]"
        )
    )
    s = TemplateSettings(methods=("letter",), group_by_location=True)
    [c] = generate_chunk(members, s, CompiledTemplate(content), ORG, BATCH).communications
    for m in members:
        assert f"- {m.assembly.serial_number}" in c.letter_body
    assert "[[assemblies_table]]" in c.letter_body
    assert {a.id for a in c.assemblies} == {m.assembly.id for m in members}
    assert c.location == loc and c.recipient.address == loc.address


def test_cc_bcc_and_the_pdf_attachment_apply_to_emails_only() -> None:
    s = TemplateSettings(
        methods=("email", "letter"),
        include_pdf_in_email=True,
        cc=("records@riverbend.test",),
        bcc=("audit@riverbend.test",),
    )
    comms = render_one(GOOD, s)
    email = next(c for c in comms if c.method == "email")
    letter = next(c for c in comms if c.method == "letter")
    assert email.cc == ["records@riverbend.test"] and email.bcc == ["audit@riverbend.test"]
    assert email.include_pdf_in_email and email.letter_body  # the attached letter is rendered too
    assert letter.cc == [] and letter.bcc == [] and not letter.include_pdf_in_email
    assert letter.subject == "" and letter.letter_body


def test_rendering_the_same_chunk_twice_gives_identical_results() -> None:
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "owner"), a_contact(loc, "owner", first_name="")], assemblies=2)
    s = TemplateSettings(methods=("email", "letter"), group_by_location=True)
    first = generate_chunk(members, s, CompiledTemplate(GOOD), ORG, BATCH)
    second = generate_chunk(members, s, CompiledTemplate(GOOD), ORG, BATCH)
    assert first == second


@settings(max_examples=150, deadline=None)
@given(
    first_name=st.sampled_from(["", "  ", "Dana", "{{ x }}"]),
    make=st.sampled_from(["", "Watts", "Febco"]),
    size=st.sampled_from(["", '3/4"']),
)
def test_no_output_ever_contains_an_empty_merge_value(first_name: str, make: str, size: str) -> None:
    content = TemplateContent(
        email_subject="{{ assembly.make }} {{ assembly.size }}",
        email_body_text="Dear {{ contact.first_name }}: {{ assembly.make }} {{ assembly.size }}",
    )
    loc = a_location()
    contact = a_contact(loc, "owner", first_name=first_name)

    members = [MemberSnapshot(assembly=an_assembly(loc, make=make, size=size), location=loc, contacts=[contact])]
    [c] = generate_chunk(
        members, TemplateSettings(methods=("email",)), CompiledTemplate(content), ORG, BATCH
    ).communications
    expected_missing = {
        f
        for f, v in (("contact.first_name", first_name), ("assembly.make", make), ("assembly.size", size))
        if not v.strip()
    }
    assert set(c.missing_fields) == expected_missing
    assert (c.status == "needs_attention") == bool(expected_missing)
    assert "Dear :" not in c.body_text and "  " not in c.subject.strip()
    for f in expected_missing:
        assert f"[missing: {f}]" in c.body_text


def test_merge_data_in_a_letter_never_turns_into_markup() -> None:
    content = TemplateContent(letter_body="**Notice** for {{ contact.name }}")
    [c] = render_one(content, TemplateSettings(methods=("letter",)), name="Star*Bright **Inc**")
    assert c.letter_body == "**Notice** for Star\\*Bright \\*\\*Inc\\*\\*"


KNOWN = sorted(f"{obj}.{name}" for obj, names in OBJECT_FIELDS.items() if obj != "assembly" for name in names)


@settings(max_examples=200, deadline=None)
@given(
    fields=st.lists(st.sampled_from(KNOWN), min_size=1, max_size=6),
    unknown=st.from_regex(r"[a-z]{3,10}", fullmatch=True),
    obj=st.sampled_from(sorted(OBJECT_FIELDS)),
    line=st.integers(0, 5),
)
def test_known_fields_always_save_and_one_unknown_field_is_always_named(
    fields: list[str], unknown: str, obj: str, line: int
) -> None:
    source = "\n".join(f"Line {{{{ {f} }}}}" for f in fields)
    assert problems(source, grouped=True) == []
    if unknown in OBJECT_FIELDS[obj]:
        return
    lines = source.split("\n")
    lines.insert(min(line, len(lines)), f"oops {{{{ {obj}.{unknown} }}}}")
    found = problems("\n".join(lines), grouped=False)
    assert [p.field for p in found] == [f"{obj}.{unknown}"]
    assert found[0].line == min(line, len(lines) - 1) + 1
