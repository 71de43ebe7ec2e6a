"""Template settings: the contact rules an admin picks for a template (DOMAIN.md, "Template settings")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CONTACT_TYPES: tuple[str, ...] = ("owner", "tenant", "property_manager", "billing", "site")
METHODS: tuple[str, ...] = ("email", "letter")

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


class InvalidSettings(ValueError):
    """A setting has a value the rules cannot work with; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def is_email_address(value: str) -> bool:
    """True for something shaped like one address (no display name, no list, no header tricks)."""
    return bool(_EMAIL.match(value or ""))


@dataclass(frozen=True)
class TemplateSettings:
    """Who at a location receives a notice, and how.

    ``contact_types`` and ``methods`` keep the admin's order; the order of
    ``contact_types`` breaks ties when several contacts are flagged primary.
    """

    contact_types: tuple[str, ...] = ("owner",)
    methods: tuple[str, ...] = ("email", "letter")
    use_primary_contact: bool = False
    first_available_method_only: bool = False
    group_by_location: bool = False
    include_pdf_in_email: bool = False
    cc: tuple[str, ...] = field(default_factory=tuple)
    bcc: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.contact_types:
            raise InvalidSettings("contact_types", "choose at least one contact type")
        for ct in self.contact_types:
            if ct not in CONTACT_TYPES:
                raise InvalidSettings(
                    "contact_types", f"unknown contact type {ct!r}; one of {', '.join(CONTACT_TYPES)}"
                )
        if len(set(self.contact_types)) != len(self.contact_types):
            raise InvalidSettings("contact_types", "a contact type is listed twice")
        if not self.methods:
            raise InvalidSettings("methods", "choose email, letter or both")
        for m in self.methods:
            if m not in METHODS:
                raise InvalidSettings("methods", f"unknown method {m!r}; one of email, letter")
        if len(set(self.methods)) != len(self.methods):
            raise InvalidSettings("methods", "a method is listed twice")
        if self.include_pdf_in_email and "email" not in self.methods:
            raise InvalidSettings("include_pdf_in_email", "attaching the letter needs the email method")
        for name in ("cc", "bcc"):
            for address in getattr(self, name):
                if not is_email_address(address):
                    raise InvalidSettings(name, f"{address!r} is not an email address")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateSettings:
        """Build from stored or posted JSON; lists become tuples, unknown keys are refused."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidSettings(unknown[0], "unknown setting")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("contact_types", "methods", "cc", "bcc"):
                if isinstance(value, str) or not isinstance(value, list | tuple):
                    raise InvalidSettings(key, "must be a list")
                values[key] = tuple(str(v).strip() for v in value)
            else:
                if not isinstance(value, bool):
                    raise InvalidSettings(key, "must be true or false")
                values[key] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored with a template version and answered by the API."""
        return {
            "contact_types": list(self.contact_types),
            "methods": list(self.methods),
            "use_primary_contact": self.use_primary_contact,
            "first_available_method_only": self.first_available_method_only,
            "group_by_location": self.group_by_location,
            "include_pdf_in_email": self.include_pdf_in_email,
            "cc": list(self.cc),
            "bcc": list(self.bcc),
        }
