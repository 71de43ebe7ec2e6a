"""The contact rules: who gets a notice, by which method, and who is skipped (DOMAIN.md, Template settings)."""

from __future__ import annotations

import random
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.snapshots import MemberSnapshot, PostalAddress
from generator.domain.contact_rules import communication_id, plan_communications
from generator.domain.template_settings import CONTACT_TYPES, InvalidSettings, TemplateSettings
from tests.unit.generator.builders import a_contact, a_location, a_member, an_assembly, members_at

BATCH = uuid4()
NO_ADDRESS = PostalAddress()


def who(plan) -> set[tuple[UUID, str]]:
    return {(c.contact.id, c.method) for c in plan.communications}


# --- contact types ----------------------------------------------------------------------


def test_only_contacts_of_the_chosen_types_receive_the_notice() -> None:
    loc = a_location()
    owner, tenant, pm = a_contact(loc, "owner"), a_contact(loc, "tenant"), a_contact(loc, "property_manager")
    members = members_at(loc, [owner, tenant, pm])
    plan = plan_communications(
        BATCH, members, TemplateSettings(contact_types=("owner", "property_manager"), methods=("email",))
    )
    assert who(plan) == {(owner.id, "email"), (pm.id, "email")}
    assert plan.skipped == []


def test_a_location_without_a_contact_of_the_chosen_types_is_skipped_with_the_types_named() -> None:
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "tenant")])
    plan = plan_communications(BATCH, members, TemplateSettings(contact_types=("owner", "property_manager")))
    assert plan.communications == []
    assert [s.reason for s in plan.skipped] == ["no contact of the allowed types (owner, property_manager)"]
    assert plan.skipped[0].assembly_id == members[0].assembly.id


# --- primary contact --------------------------------------------------------------------


def test_use_primary_contact_reaches_only_the_primary_among_the_allowed_types() -> None:
    loc = a_location()
    owner = a_contact(loc, "owner")
    pm = a_contact(loc, "property_manager", is_primary=True)
    tenant_primary = a_contact(loc, "tenant", is_primary=True)  # primary, but not an allowed type
    members = members_at(loc, [owner, pm, tenant_primary])
    s = TemplateSettings(contact_types=("owner", "property_manager"), methods=("email",), use_primary_contact=True)
    assert who(plan_communications(BATCH, members, s)) == {(pm.id, "email")}


def test_use_primary_contact_without_a_primary_skips_the_member_and_says_so() -> None:
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "owner"), a_contact(loc, "tenant", is_primary=True)])
    s = TemplateSettings(contact_types=("owner", "property_manager"), use_primary_contact=True)
    plan = plan_communications(BATCH, members, s)
    assert plan.communications == []
    assert plan.skipped[0].reason == "no primary contact among owner, property_manager"


def test_a_primary_contact_marked_do_not_contact_is_not_replaced_by_another_contact() -> None:
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "owner", is_primary=True, do_not_contact=True), a_contact(loc, "owner")])
    plan = plan_communications(BATCH, members, TemplateSettings(use_primary_contact=True))
    assert plan.communications == []
    assert plan.skipped[0].reason == "the primary contact is do-not-contact"


def test_several_primaries_yield_one_recipient_preferring_the_first_listed_type() -> None:
    loc = a_location()
    owner = a_contact(loc, "owner", is_primary=True)
    pm = a_contact(loc, "property_manager", is_primary=True)
    members = members_at(loc, [owner, pm])
    s = TemplateSettings(contact_types=("property_manager", "owner"), methods=("email",), use_primary_contact=True)
    assert who(plan_communications(BATCH, members, s)) == {(pm.id, "email")}


# --- do not contact, bounced ------------------------------------------------------------


def test_do_not_contact_contacts_are_skipped_and_the_others_still_receive() -> None:
    loc = a_location()
    dnc, ok = a_contact(loc, "owner", do_not_contact=True), a_contact(loc, "owner")
    plan = plan_communications(BATCH, members_at(loc, [dnc, ok]), TemplateSettings(methods=("email",)))
    assert who(plan) == {(ok.id, "email")}


def test_a_member_whose_eligible_contacts_are_all_do_not_contact_is_skipped() -> None:
    member = a_member(("owner", "owner"), do_not_contact=True)
    plan = plan_communications(BATCH, [member], TemplateSettings())
    assert plan.skipped[0].reason == "all eligible contacts are do-not-contact"


def test_a_bounced_email_is_not_used_but_a_letter_still_goes_when_letters_are_allowed() -> None:
    loc = a_location()
    bounced = a_contact(loc, "owner", email_bounced=True)
    plan = plan_communications(BATCH, members_at(loc, [bounced]), TemplateSettings(methods=("email", "letter")))
    assert who(plan) == {(bounced.id, "letter")}


def test_email_only_template_skips_a_member_whose_only_owner_bounced_naming_the_contact() -> None:
    loc = a_location()
    bounced = a_contact(loc, "owner", name="Dana Reyes", email_bounced=True)
    plan = plan_communications(BATCH, members_at(loc, [bounced]), TemplateSettings(methods=("email",)))
    assert plan.communications == []
    assert plan.skipped[0].reason == "no usable email and letters not allowed (Dana Reyes: email bounced)"


def test_a_malformed_email_address_is_not_usable() -> None:
    loc = a_location()
    contact = a_contact(loc, "owner", email="pat at example")
    plan = plan_communications(BATCH, members_at(loc, [contact]), TemplateSettings(methods=("email",)))
    assert "email address not valid" in plan.skipped[0].reason


# --- methods and first available --------------------------------------------------------


def test_both_methods_without_first_available_send_an_email_and_a_letter() -> None:
    loc = a_location()
    c = a_contact(loc, "owner")
    plan = plan_communications(BATCH, members_at(loc, [c]), TemplateSettings(methods=("email", "letter")))
    assert who(plan) == {(c.id, "email"), (c.id, "letter")}


def test_first_available_method_sends_email_to_contacts_with_email_and_letters_to_the_others() -> None:
    loc = a_location()
    with_email, without = a_contact(loc, "owner"), a_contact(loc, "owner", email="")
    s = TemplateSettings(methods=("email", "letter"), first_available_method_only=True)
    plan = plan_communications(BATCH, members_at(loc, [with_email, without]), s)
    assert who(plan) == {(with_email.id, "email"), (without.id, "letter")}


def test_first_available_with_letters_only_sends_a_letter_even_to_a_contact_with_email() -> None:
    loc = a_location()
    c = a_contact(loc, "owner")
    s = TemplateSettings(methods=("letter",), first_available_method_only=True)
    assert who(plan_communications(BATCH, members_at(loc, [c]), s)) == {(c.id, "letter")}


def test_no_email_and_no_address_means_the_member_is_skipped() -> None:
    loc = a_location(address=NO_ADDRESS)
    c = a_contact(loc, "owner", email="", name="Lee Park")
    s = TemplateSettings(methods=("email", "letter"), first_available_method_only=True)
    plan = plan_communications(BATCH, members_at(loc, [c]), s)
    assert plan.skipped[0].reason == "no usable email and no postal address (Lee Park: no email, no postal address)"


def test_letters_only_template_skips_a_location_without_an_address() -> None:
    loc = a_location(address=PostalAddress(line1="", city="Springfield"))
    plan = plan_communications(BATCH, members_at(loc, [a_contact(loc, "owner")]), TemplateSettings(methods=("letter",)))
    assert plan.skipped[0].reason.startswith("no postal address and emails not allowed")


def test_a_letter_goes_to_the_contacts_mailing_address_when_it_has_one() -> None:
    loc = a_location()
    mailing = PostalAddress(line1="PO Box 9", city="Eugene", state="OR", postal_code="97401")
    c = a_contact(loc, "owner", mailing_address=mailing)
    plan = plan_communications(BATCH, members_at(loc, [c]), TemplateSettings(methods=("letter",)))
    assert plan.communications[0].recipient.address == mailing
    assert plan.communications[0].recipient.email == ""


def test_a_letter_goes_to_the_location_address_when_the_contact_has_none() -> None:
    loc = a_location()
    c = a_contact(loc, "owner", mailing_address=PostalAddress())
    plan = plan_communications(BATCH, members_at(loc, [c]), TemplateSettings(methods=("letter",)))
    assert plan.communications[0].recipient.address == loc.address


# --- grouping ---------------------------------------------------------------------------


def test_grouping_by_location_sends_one_notice_per_contact_listing_every_assembly_there() -> None:
    loc = a_location()
    owner, pm = a_contact(loc, "owner"), a_contact(loc, "property_manager")
    members = members_at(loc, [owner, pm], assemblies=3)
    s = TemplateSettings(contact_types=("owner", "property_manager"), methods=("email",), group_by_location=True)
    plan = plan_communications(BATCH, members, s)
    assert len(plan.communications) == 2
    serials = sorted(m.assembly.serial_number for m in members)
    for c in plan.communications:
        assert [a.serial_number for a in c.assemblies] == serials
        assert c.location == loc


def test_without_grouping_each_assembly_gets_its_own_notice_per_contact() -> None:
    loc = a_location()
    owner, pm = a_contact(loc, "owner"), a_contact(loc, "property_manager")
    members = members_at(loc, [owner, pm], assemblies=3)
    s = TemplateSettings(contact_types=("owner", "property_manager"), methods=("email",))
    plan = plan_communications(BATCH, members, s)
    assert len(plan.communications) == 6
    assert all(len(c.assemblies) == 1 for c in plan.communications)


def test_grouping_keeps_locations_apart() -> None:
    a, b = a_location(), a_location()
    ca, cb = a_contact(a, "owner"), a_contact(b, "owner")
    members = members_at(a, [ca], 2) + members_at(b, [cb], 1)
    plan = plan_communications(BATCH, members, TemplateSettings(methods=("email",), group_by_location=True))
    assert sorted(len(c.assemblies) for c in plan.communications) == [1, 2]


# --- ids --------------------------------------------------------------------------------


def test_communication_ids_follow_the_natural_key_whatever_the_member_order() -> None:
    loc = a_location()
    members = members_at(loc, [a_contact(loc, "owner")], assemblies=4)
    s = TemplateSettings(methods=("email", "letter"), group_by_location=True)
    first = plan_communications(BATCH, members, s)
    shuffled = list(reversed(members))
    second = plan_communications(BATCH, shuffled, s)
    assert {c.communication_id for c in first.communications} == {c.communication_id for c in second.communications}
    for c in first.communications:
        assert c.communication_id == communication_id(BATCH, c.contact.id, c.method, [m.assembly.id for m in members])
    other_batch = plan_communications(uuid4(), members, s)
    assert not {c.communication_id for c in first.communications} & {
        c.communication_id for c in other_batch.communications
    }


def test_a_member_listed_twice_counts_once() -> None:
    member = a_member()
    plan = plan_communications(BATCH, [member, member], TemplateSettings(methods=("email",)))
    assert len(plan.communications) == 1


# --- settings validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"contact_types": []}, "contact_types"),
        ({"contact_types": ["landlord"]}, "contact_types"),
        ({"methods": []}, "methods"),
        ({"methods": ["fax"]}, "methods"),
        ({"methods": ["letter"], "include_pdf_in_email": True}, "include_pdf_in_email"),
        ({"cc": ["not an address"]}, "cc"),
        ({"bcc": ["a@b.test, c@d.test"]}, "bcc"),
        ({"colour": "blue"}, "colour"),
        ({"group_by_location": "yes"}, "group_by_location"),
    ],
)
def test_settings_that_make_no_sense_are_refused_naming_the_setting(data: dict, field: str) -> None:
    with pytest.raises(InvalidSettings) as err:
        TemplateSettings.from_dict(data)
    assert err.value.field == field


def test_settings_round_trip_through_their_json_form() -> None:
    s = TemplateSettings(
        contact_types=("owner", "property_manager"),
        methods=("email",),
        use_primary_contact=True,
        group_by_location=True,
        include_pdf_in_email=True,
        cc=("records@riverbend.test",),
    )
    assert TemplateSettings.from_dict(s.to_dict()) == s


# --- property: the rules agree with a plain restatement of DOMAIN.md --------------------

ADDRESSES = [
    PostalAddress(),
    PostalAddress(line1="5 Oak Ave", city="Eugene", postal_code="97401"),
    PostalAddress(line1="", city="Eugene", postal_code="97401"),
]


@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    rnd = random.Random(draw(st.integers(0, 2**32)))
    members: list[MemberSnapshot] = []
    for _ in range(draw(st.integers(1, 4))):
        loc = a_location(address=draw(st.sampled_from(ADDRESSES[:2])))
        contacts = []
        for _ in range(draw(st.integers(0, 4))):
            contacts.append(
                a_contact(
                    loc,
                    draw(st.sampled_from(CONTACT_TYPES)),
                    email=draw(st.sampled_from(["", "x@y.test", "bad"])),
                    email_bounced=draw(st.booleans()),
                    do_not_contact=draw(st.booleans()),
                    is_primary=draw(st.booleans()),
                    mailing_address=draw(st.sampled_from([None, *ADDRESSES])),
                )
            )
        for _ in range(draw(st.integers(1, 3))):
            members.append(MemberSnapshot(assembly=an_assembly(loc), location=loc, contacts=contacts))
    rnd.shuffle(members)
    contact_types = tuple(draw(st.lists(st.sampled_from(CONTACT_TYPES), min_size=1, max_size=3, unique=True)))
    methods = tuple(draw(st.lists(st.sampled_from(["email", "letter"]), min_size=1, max_size=2, unique=True)))
    s = TemplateSettings(
        contact_types=contact_types,
        methods=methods,
        use_primary_contact=draw(st.booleans()),
        first_available_method_only=draw(st.booleans()),
        group_by_location=draw(st.booleans()),
    )
    return members, s


def _oracle(members: list[MemberSnapshot], s: TemplateSettings) -> tuple[set, set]:
    """DOMAIN.md's rules restated naively: (contact, method, assembly set) triples and skipped assemblies."""

    def can_email(c):  # type: ignore[no-untyped-def]
        return "@" in c.email and "." in c.email.split("@")[-1] and not c.email_bounced

    def can_letter(c, loc):  # type: ignore[no-untyped-def]
        for a in (c.mailing_address, loc.address):
            if a is not None and a.line1 and (a.city or a.postal_code):
                return True
        return False

    per_assembly: dict[UUID, set[tuple[UUID, str]]] = {}
    for m in members:
        allowed = [c for c in m.contacts if c.contact_type in s.contact_types]
        if s.use_primary_contact:
            primaries = sorted(
                (c for c in allowed if c.is_primary and not c.do_not_contact),
                key=lambda c: (s.contact_types.index(c.contact_type), str(c.id)),
            )
            allowed = primaries[:1]
        got = set()
        for c in allowed:
            if c.do_not_contact:
                continue
            e = "email" in s.methods and can_email(c)
            letter = "letter" in s.methods and can_letter(c, m.location)
            if s.first_available_method_only:
                if e:
                    got.add((c.id, "email"))
                elif letter:
                    got.add((c.id, "letter"))
            else:
                if e:
                    got.add((c.id, "email"))
                if letter:
                    got.add((c.id, "letter"))
        per_assembly[m.assembly.id] = got
    triples: dict[tuple, set[UUID]] = {}
    for m in members:
        for contact_id, method in per_assembly[m.assembly.id]:
            scope = m.location.id if s.group_by_location else m.assembly.id
            triples.setdefault((scope, contact_id, method), set()).add(m.assembly.id)
    expected = {(k[1], k[2], frozenset(v)) for k, v in triples.items()}
    skipped = {a for a, got in per_assembly.items() if not got}
    return expected, skipped


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_the_rules_agree_with_the_domain_description_for_any_mix_of_contacts_and_settings(scenario) -> None:  # type: ignore[no-untyped-def]
    members, s = scenario
    plan = plan_communications(BATCH, members, s)
    expected, expected_skipped = _oracle(members, s)
    got = {(c.contact.id, c.method, frozenset(c.assembly_ids)) for c in plan.communications}
    assert got == expected
    assert {sk.assembly_id for sk in plan.skipped} == expected_skipped
    assert all(sk.reason for sk in plan.skipped)
    ids = [c.communication_id for c in plan.communications]
    assert len(ids) == len(set(ids))
    # same chunk in another order: same communications, same ids
    again = plan_communications(BATCH, list(reversed(members)), s)
    assert sorted(ids, key=str) == sorted((c.communication_id for c in again.communications), key=str)
