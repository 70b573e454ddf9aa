"""Who a request is about, and the stable pseudonyms that replace their identifiers (pure, no database).

A customer is named by an email address (tickets) and/or the shop's customer id
(tickets and shopper events). Identifiers are never stored raw in an audit row:
``identifier_hash`` is a keyed hash (HMAC-SHA256 with the project's
``SECRET_KEY``), so someone who knows an address can ask "was it erased?" through
the admin, but a leaked database cannot be searched with a list of addresses
without the key.

Pseudonyms come from the same keyed hash, one per value and kind: the same
customer id becomes the same pseudonym on tickets and events (per-customer
aggregates stay one customer), two sessions stay two sessions, and erasing the
same customer twice gives the same pseudonym. Rotating ``SECRET_KEY`` changes
the hashes of later requests (earlier audit rows then no longer match a search).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.crypto import salted_hmac

KEY_SALT = "ecomcms.privacy.customer-data"
#: Replaces erased free text (subjects, message bodies, suggested replies, comments).
ERASED = "[erased]"
#: ``.invalid`` is reserved (RFC 2606): a pseudonymous address can never reach anyone.
PSEUDONYM_DOMAIN = "erased.invalid"
PSEUDONYM_PREFIX = "erased-"


class InvalidIdentifier(ValueError):
    """An email address or customer id that cannot name a customer."""


@dataclass(frozen=True)
class Customer:
    """Whom a request is about: a normalised email address, a customer id, or both."""

    email: str = ""
    customer_id: str = ""

    @classmethod
    def of(cls, *, email: str | None = None, customer_id: str | None = None) -> Customer:
        email = normalise_email(email or "") if (email or "").strip() else ""
        customer_id = (customer_id or "").strip()
        if not email and not customer_id:
            raise InvalidIdentifier("give the customer's email address, customer id, or both")
        if len(customer_id) > 100:
            raise InvalidIdentifier("a customer id has at most 100 characters")
        return cls(email=email, customer_id=customer_id)

    @property
    def email_hash(self) -> str:
        return identifier_hash("email", self.email) if self.email else ""

    @property
    def customer_id_hash(self) -> str:
        return identifier_hash("customer", self.customer_id) if self.customer_id else ""

    def describe(self) -> str:
        """For people (the command's prompt, the admin's confirmation page), never for logs or audit rows."""
        parts = [self.email] if self.email else []
        if self.customer_id:
            parts.append(f"customer id {self.customer_id}")
        return " / ".join(parts)


def normalise_email(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidIdentifier("the email address is not valid") from None
    return value.lower()


def identifier_hash(kind: str, value: str) -> str:
    """Keyed SHA-256 of ``kind:value`` (hex, 64 characters); emails are compared in lower case."""
    if kind == "email":
        value = value.strip().lower()
    return salted_hmac(KEY_SALT, f"{kind}:{value}", algorithm="sha256").hexdigest()


def pseudonym(kind: str, value: str) -> str:
    """A stable stand-in for one identifier: ``erased-<16 hex>`` (``@erased.invalid`` for emails)."""
    token = PSEUDONYM_PREFIX + identifier_hash(kind, value)[:16]
    return f"{token}@{PSEUDONYM_DOMAIN}" if kind == "email" else token


def is_pseudonym(value: str) -> bool:
    return value.startswith(PSEUDONYM_PREFIX)
