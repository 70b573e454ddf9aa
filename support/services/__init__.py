"""Every write to support goes through here: tickets, triage, suggestions and staff decisions.

The admin, the API, management commands and Celery tasks all call these
functions, so they behave identically whichever door was used. Staff actions
need the ``ecomcms_support.handle_ticket`` permission (``NotAllowed``); a wrong current
state is refused with ``StateError``; every change appends a ``TicketEvent``.
``actor=None`` means the system (a worker, the scheduler, a command).

Personal data never reaches a model: each text is stored twice, as written and
redacted (with the mapping that undoes it), and only redacted text is embedded,
classified or put in a prompt. Model output is restored for staff only.

Work that several workers may race for is claimed with a compare-and-set update
(``pending -> running``); results are saved only while the claim is still ours,
so a redelivered or duplicated task changes nothing.

One module per concern, re-exported here so callers keep ``from support import services``:

- ``_base``: limits, errors, the permission check, ticket events, queueing, vectors
- ``sla``: due times and breach flags
- ``tickets``: create, authenticate, transitions, assignment, overrides, replies and email
- ``knowledge``: knowledge-base embeddings and retrieval
- ``suggestions``: suggested replies (request, claim, generate, decide)
- ``strategies``: which reply strategy an intent gets, and the templates (nearest resolved reply, canned) it uses
- ``triage``: predictions in the worker
- ``sweep``: recovering work lost with a worker or a message
- ``intents``: intent classifier training
- ``mailbox``: inbound email (the support mailbox over IMAP) into tickets and replies
- ``kb_gaps``: knowledge-base gaps become suggested articles for review
- ``language``: replies in the customer's language (templates) or a note for the agent
- ``revisions``: tickets about misleading product copy open a revision request in content

A test that replaces a function must replace it in the module that looks it up
(``support.services.triage.triage_predict``), not here.
"""

import logging

from support.services._base import (
    MAX_ATTEMPTS,
    MAX_BODY,
    MAX_SUBJECT,
    PERMISSION,
    FlagsNotConfirmed,
    NotAllowed,
    ReplyNotSendable,
    StateError,
    SupportError,
    TriageRetry,
)
from support.services.intents import (
    intent_labels_import,
    intent_model_retrain_if_needed,
    intent_model_train,
    intent_model_training_request,
    ticket_label_import,
)
from support.services.kb_gaps import (
    article_suggestion_approve,
    article_suggestion_reject,
    article_suggestion_write,
    kb_gaps_find,
)
from support.services.knowledge import (
    MIN_ARTICLE_SIMILARITY,
    MIN_CANNED_SIMILARITY,
    TOP_ARTICLES,
    TOP_CANNED,
    knowledge_changed,
    knowledge_refresh_embeddings,
    knowledge_retrieve,
)
from support.services.language import ReplyLanguage, reply_language, suggestion_from_template
from support.services.mailbox import MailboxError, inbound_email_receive, mailbox_poll, mailbox_settings
from support.services.revisions import ticket_copy_revision
from support.services.sla import DEFAULT_FIRST_RESPONSE_HOURS, DEFAULT_RESOLUTION_HOURS, sla_flag_breaches
from support.services.strategies import (
    intent_articles,
    intent_canned,
    nearest_resolved_reply,
    reply_strategies_apply,
    strategy_for_intent,
)
from support.services.suggestions import (
    reply_send_blockers,
    suggestion_accept,
    suggestion_edit_and_send,
    suggestion_reject,
    suggestion_request,
    suggestions_claim,
    suggestions_generate,
    suggestions_process,
)
from support.services.sweep import support_sweep
from support.services.tickets import (
    OVERRIDABLE,
    PUBLIC_ID_ALPHABET,
    TRANSITIONS,
    customer_reply,
    ticket_assign,
    ticket_authenticate,
    ticket_create,
    ticket_model_text,
    ticket_override_prediction,
    ticket_reply,
    ticket_transition,
)
from support.services.triage import TriageResult, ticket_retriage, ticket_triage, triage_predict

logger = logging.getLogger(__name__)

__all__ = [
    "article_suggestion_approve", "article_suggestion_reject", "article_suggestion_write", "kb_gaps_find",
    "DEFAULT_FIRST_RESPONSE_HOURS", "DEFAULT_RESOLUTION_HOURS", "MAX_ATTEMPTS", "MAX_BODY", "MAX_SUBJECT",
    "MIN_ARTICLE_SIMILARITY", "MIN_CANNED_SIMILARITY", "OVERRIDABLE", "PERMISSION", "PUBLIC_ID_ALPHABET",
    "TOP_ARTICLES", "TOP_CANNED", "TRANSITIONS", "FlagsNotConfirmed", "MailboxError", "NotAllowed", "ReplyLanguage",
    "ReplyNotSendable", "StateError", "SupportError", "TriageResult", "TriageRetry", "customer_reply",
    "inbound_email_receive", "intent_articles", "intent_canned", "intent_labels_import",
    "intent_model_retrain_if_needed", "intent_model_train", "intent_model_training_request",
    "knowledge_changed", "knowledge_refresh_embeddings", "knowledge_retrieve", "mailbox_poll", "mailbox_settings",
    "nearest_resolved_reply", "reply_language", "reply_send_blockers", "reply_strategies_apply",
    "sla_flag_breaches", "strategy_for_intent", "suggestion_accept", "suggestion_edit_and_send",
    "suggestion_from_template", "suggestion_reject", "suggestion_request", "suggestions_claim",
    "suggestions_generate", "suggestions_process", "support_sweep", "ticket_assign", "ticket_authenticate",
    "ticket_copy_revision", "ticket_create", "ticket_label_import", "ticket_model_text",
    "ticket_override_prediction", "ticket_reply", "ticket_retriage", "ticket_transition", "ticket_triage",
    "triage_predict",
]
