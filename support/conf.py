"""Support's settings with their defaults, on top of the runtime's (``ecomcms.conf``); docs/settings.md lists them.

    from support.conf import conf
    conf.SUPPORT_SHOP_NAME      # the project's value, else "our shop"
"""

from __future__ import annotations

from django.conf import settings as django_settings

from ecomcms.conf import AppSettings, Derived, conf as ecomcms_conf

conf = AppSettings({
    # The shop's own order numbers as regexes (e.g. r"\bORD-\d{6,}\b"): redacted before any model sees a ticket.
    "SUPPORT_ORDER_NUMBER_PATTERNS": [],
    # The shop's own contact details: never redacted, so a suggested reply may quote them.
    "SUPPORT_REDACTION_KEEP": Derived(lambda conf: [django_settings.DEFAULT_FROM_EMAIL]),
    # Regions (ISO 3166) whose national phone formats redaction recognises ("+"/"00" numbers are recognised anyway).
    "SUPPORT_REDACTION_PHONE_REGIONS": [
        "GB", "IE", "US", "DE", "AT", "CH", "FR", "BE", "NL", "ES", "PT", "IT", "PL", "SE", "FI", "BR", "MX"],
    "SUPPORT_SHOP_NAME": "our shop",
    # Share of tickets expected to fit no intent: picks the classifier's "none of these" rule.
    "SUPPORT_INTENT_OPEN_TRAFFIC": 0.4,
    # Retraining the intent classifier (support.intent, docs/support.md "Learning from staff decisions"):
    # the daily run trains only when this many new labels (staff intents, confirmed intents) arrived since
    # the last version; a new version is activated when its gate passed (accuracy and macro-F1 on the held-out
    # slice not below the active version's, less the tolerance), unless auto-activation is off.
    "SUPPORT_INTENT_RETRAIN_MIN_LABELS": 20,
    "SUPPORT_INTENT_GATE_TOLERANCE": 0.0,
    "SUPPORT_INTENT_AUTO_ACTIVATE": True,
    "SUPPORT_REPLY_MAX_NEW_TOKENS": 120,
    # Knowledge-base gaps (support.services.kb_gaps; measured in docs/support.md): the window in days, the best-article
    # cosine below which a ticket counts as uncovered, the clustering cut (cosine distance) and the smallest gap.
    "SUPPORT_KB_GAP_DAYS": 30,
    "SUPPORT_KB_GAP_THRESHOLD": 0.45,
    "SUPPORT_KB_GAP_DISTANCE": 0.4,
    "SUPPORT_KB_GAP_MIN_TICKETS": 3,
    # The language the shop writes in (and the reply model is asked to write); a ticket in another language is
    # answered from a canned response in its language, or gets no drafted reply and a note for the agent.
    "SUPPORT_SHOP_LANGUAGE": "en",
    # Intents that say "the product copy misled me" (size, material, compatibility, what is in the box): a ticket
    # with one of them that names a product opens (or joins) a revision request on that product's copy.
    "SUPPORT_COPY_REVISION_INTENTS": ["not_as_described", "wrong_size", "incompatible", "missing_item"],
    # How suggested replies are written unless an intent has its own: model, nearest, canned or combined
    # (docs/support.md, "Reply strategies": the default is what measured best on the held-out Bitext split).
    "SUPPORT_REPLY_STRATEGY": "nearest",
    # Grounded decoding of the model's replies: no unfilled placeholder, unknown link or chatbot line can be written.
    "SUPPORT_REPLY_GROUNDED": True,
    "SUPPORT_API_THROTTLE_TICKETS": "20/hour",  # new tickets per client IP
    # Inbound email (support.services.mailbox): off while the host is empty.
    "SUPPORT_IMAP_HOST": "",
    "SUPPORT_IMAP_PORT": 993,
    "SUPPORT_IMAP_USER": "",
    "SUPPORT_IMAP_PASSWORD": "",
    "SUPPORT_IMAP_MAILBOX": "INBOX",
    "SUPPORT_IMAP_SSL": True,  # TLS from the first byte (port 993); off: plain IMAP, STARTTLS if asked
    "SUPPORT_IMAP_STARTTLS": False,
    "SUPPORT_IMAP_QUARANTINE_MAILBOX": "Quarantine",  # emails without a usable sender are copied here
    "SUPPORT_IMAP_POLL_SECONDS": 60,
    "SUPPORT_IMAP_MAX_BYTES": 10_000_000,  # larger emails: the ticket gets what the first this-many bytes say
    "SUPPORT_IMAP_BATCH": 50,  # emails taken in per poll
    "SUPPORT_IMAP_TIMEOUT": 30,  # seconds per network operation
    # Attachments of inbound emails, stored with the customer's message (staff download them from the ticket page).
    "SUPPORT_ATTACHMENT_MAX_BYTES": 10_000_000,  # per file; a larger one is not stored (a note on the ticket says so)
    "SUPPORT_ATTACHMENT_MAX_TOTAL_BYTES": 20_000_000,  # per email; files past it are not stored (with the note)
    "SUPPORT_ATTACHMENT_TYPES": ["application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp",
                                 "image/heic", "text/plain", "text/csv"],  # anything else is not stored (the note)
}, base=ecomcms_conf)
