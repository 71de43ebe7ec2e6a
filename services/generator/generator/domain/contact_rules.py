"""The contact rules: which communications a chunk of batch members yields, and who is skipped.

Input: the member snapshots of one chunk (each member is one assembly with its location
and every contact at that location) and the template's ``TemplateSettings``. Output: the
planned communications (contact, method, location, covered assemblies) and the members
that yield none, with the reason an admin can act on.

The rules (DOMAIN.md):

* only contacts whose type is in ``contact_types``; with ``use_primary_contact`` only the
  location's primary contact among them (several flagged primary: the first of the
  ``contact_types`` order that is not do-not-contact, then the smallest id);
* a ``do_not_contact`` contact is never used;
* email needs a well-formed address that has not bounced;
* a letter needs a postal address: the contact's mailing address, else the location's
  address; an address without a first line, or without both city and postal code, is no
  address;
* ``first_available_method_only``: per contact, email when it has a usable email, else a
  letter (each only if the template allows that method); otherwise every allowed method
  the contact can receive;
* ``group_by_location``: one communication per contact and method per location, covering
  every member assembly of that location in the chunk; otherwise one per assembly.

Grouping relies on the batches service putting every member of one location into the same
chunk: a location split across two chunks would yield two communications to the same
contact (with different assembly sets, hence different ids).

A communication's id is a uuid5 of its natural key (batch, contact, method, sorted
assembly ids), so the same chunk always yields the same ids, whoever plans it and however
often.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID, uuid5

from contracts.snapshots import (
    AssemblySnapshot,
    ContactSnapshot,
    LocationSnapshot,
    MemberSnapshot,
    PostalAddress,
    Recipient,
)
from generator.domain.template_settings import TemplateSettings, is_email_address

COMMUNICATION_NAMESPACE = UUID("6f1c9a52-3d4e-5b7a-9c2d-8e0f1a2b3c4d")
"""The uuid5 namespace of communication ids. Never change it: ids already stored depend on it."""


def communication_id(batch_id: UUID, contact_id: UUID, method: str, assembly_ids: Iterable[UUID]) -> UUID:
    """The id of the communication with this natural key; the assembly order does not matter."""
    return _communication_id(str(batch_id), str(contact_id), method, [str(a) for a in assembly_ids])


def _communication_id(batch_id: str, contact_id: str, method: str, assembly_ids: list[str]) -> UUID:
    """``communication_id`` from the ids' text (a chunk writes each id's text once)."""
    assemblies = ",".join(sorted(assembly_ids))
    return uuid5(COMMUNICATION_NAMESPACE, f"{batch_id}|{contact_id}|{method}|{assemblies}")


@dataclass(frozen=True)
class PlannedCommunication:
    """One communication the rules decided on, before rendering."""

    communication_id: UUID
    method: str
    contact: ContactSnapshot
    location: LocationSnapshot
    assemblies: tuple[AssemblySnapshot, ...]
    recipient: Recipient

    @property
    def assembly_ids(self) -> list[UUID]:
        return [a.id for a in self.assemblies]


@dataclass(frozen=True)
class SkippedAssembly:
    """A member assembly that yields no communication at all, and why."""

    assembly_id: UUID
    location_id: UUID
    reason: str


@dataclass(frozen=True)
class ContactPlan:
    communications: list[PlannedCommunication]
    skipped: list[SkippedAssembly]


def has_postal_address(address: PostalAddress | None) -> bool:
    """True when a letter could be addressed with it: a first line and a city or postal code."""
    if address is None:
        return False
    return bool(address.line1.strip()) and bool(address.city.strip() or address.postal_code.strip())


def letter_address(contact: ContactSnapshot, location: LocationSnapshot) -> PostalAddress | None:
    """Where a letter to ``contact`` goes: its mailing address, else the location's, else nowhere."""
    if has_postal_address(contact.mailing_address):
        return contact.mailing_address
    if has_postal_address(location.address):
        return location.address
    return None


def email_problem(contact: ContactSnapshot) -> str:
    """Why ``contact`` cannot be emailed ("" when it can)."""
    email = contact.email.strip()
    if not email:
        return "no email"
    if contact.email_bounced:
        return "email bounced"
    if not is_email_address(email):
        return "email address not valid"
    return ""


def display_name(contact: ContactSnapshot) -> str:
    """How a contact is named in reasons and recipient snapshots."""
    return contact.name.strip() or contact.first_name.strip() or contact.contact_type.replace("_", " ")


def _types_text(settings: TemplateSettings) -> str:
    return ", ".join(settings.contact_types)


def _eligible_contacts(member: MemberSnapshot, settings: TemplateSettings) -> tuple[list[ContactSnapshot], str]:
    """Contacts the template may reach at the member's location, or the reason there are none."""
    allowed = [c for c in member.contacts if c.contact_type in settings.contact_types]
    if not allowed:
        return [], f"no contact of the allowed types ({_types_text(settings)})"
    if settings.use_primary_contact:
        primaries = [c for c in allowed if c.is_primary]
        if not primaries:
            return [], f"no primary contact among {_types_text(settings)}"
        reachable = [c for c in primaries if not c.do_not_contact]
        if not reachable:
            return [], "the primary contact is do-not-contact"
        reachable.sort(key=lambda c: (settings.contact_types.index(c.contact_type), str(c.id)))
        return reachable[:1], ""
    reachable = [c for c in allowed if not c.do_not_contact]
    if not reachable:
        return [], "all eligible contacts are do-not-contact"
    return reachable, ""


def _methods_for(
    contact: ContactSnapshot, location: LocationSnapshot, settings: TemplateSettings
) -> tuple[list[tuple[str, PostalAddress | None]], str]:
    """The methods by which ``contact`` gets the notice (with the letter address), or why none."""
    email_ok = "email" in settings.methods and not email_problem(contact)
    address = letter_address(contact, location) if "letter" in settings.methods else None
    letter_ok = address is not None
    chosen: list[tuple[str, PostalAddress | None]] = []
    if settings.first_available_method_only:
        if email_ok:
            chosen.append(("email", None))
        elif letter_ok:
            chosen.append(("letter", address))
    else:
        for method in settings.methods:
            if method == "email" and email_ok:
                chosen.append(("email", None))
            elif method == "letter" and letter_ok:
                chosen.append(("letter", address))
    if chosen:
        return chosen, ""
    problems = []
    if "email" in settings.methods:
        problems.append(email_problem(contact))
    if "letter" in settings.methods:
        problems.append("no postal address")
    return [], f"{display_name(contact)}: {', '.join(problems)}"


def _unreachable_reason(settings: TemplateSettings, details: list[str]) -> str:
    if settings.methods == ("email",):
        head = "no usable email and letters not allowed"
    elif settings.methods == ("letter",):
        head = "no postal address and emails not allowed"
    else:
        head = "no usable email and no postal address"
    return f"{head} ({'; '.join(details)})"


def plan_communications(batch_id: UUID, members: Iterable[MemberSnapshot], settings: TemplateSettings) -> ContactPlan:
    """Decide every communication of one chunk and every member skipped, deterministically.

    Communications come out in the order their first member appears in the chunk;
    a grouped communication lists its assemblies by serial number.
    """
    groups: dict[tuple[UUID, UUID, str], list[AssemblySnapshot]] = {}
    heads: dict[tuple[UUID, UUID, str], tuple[ContactSnapshot, LocationSnapshot, Recipient]] = {}
    skipped: list[SkippedAssembly] = []
    seen_assemblies: set[UUID] = set()

    for member in members:
        assembly = member.assembly
        if assembly.id in seen_assemblies:  # a member listed twice counts once
            continue
        seen_assemblies.add(assembly.id)
        contacts, reason = _eligible_contacts(member, settings)
        if not contacts:
            skipped.append(SkippedAssembly(assembly.id, member.location.id, reason))
            continue
        reached = False
        details: list[str] = []
        for contact in contacts:
            methods, why_not = _methods_for(contact, member.location, settings)
            if not methods:
                details.append(why_not)
                continue
            reached = True
            for method, address in methods:
                scope = member.location.id if settings.group_by_location else assembly.id
                key = (scope, contact.id, method)
                if key not in groups:
                    groups[key] = []
                    recipient = Recipient(
                        contact_id=contact.id,
                        name=display_name(contact),
                        email=contact.email.strip() if method == "email" else "",
                        address=address if address is not None else PostalAddress(),
                    )
                    heads[key] = (contact, member.location, recipient)
                groups[key].append(assembly)
        if not reached:
            skipped.append(SkippedAssembly(assembly.id, member.location.id, _unreachable_reason(settings, details)))

    communications = []
    batch_text = str(batch_id)
    texts: dict[UUID, str] = {}  # an id's text, written once per chunk (str of a UUID is slow)

    def text_of(value: UUID) -> str:
        found = texts.get(value)
        if found is None:
            found = texts[value] = str(value)
        return found

    for key, assemblies in groups.items():
        contact, location, recipient = heads[key]
        method = key[2]
        if len(assemblies) == 1:
            ordered: tuple[AssemblySnapshot, ...] = (assemblies[0],)
        else:
            ordered = tuple(sorted(assemblies, key=lambda a: (a.serial_number, text_of(a.id))))
        communications.append(
            PlannedCommunication(
                communication_id=_communication_id(
                    batch_text, text_of(contact.id), method, [text_of(a.id) for a in ordered]
                ),
                method=method,
                contact=contact,
                location=location,
                assemblies=ordered,
                recipient=recipient,
            )
        )
    return ContactPlan(communications=communications, skipped=skipped)
