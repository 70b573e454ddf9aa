"""Suggested replies: request, claim, write in one model call per batch, check, and the staff decision."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ecomcms import inference
from ecomcms.errors import require_permission
from ecomcms.finetune.selectors import adapter_active_path
from support import checks, prompts, replies
from support.conf import conf
from support.models import CannedResponse, KnowledgeArticle, Message, ReplySuggestion, Ticket, TicketEvent, TicketStatus
from support.privacy import log_safe, redact_text, restore, thread_redaction
from support.services._base import (
    MAX_ATTEMPTS,
    MAX_BODY,
    PERMISSION,
    FlagsNotConfirmed,
    NotAllowed,
    ReplyNotSendable,
    StateError,
    SupportError,
    _clean_text,
    _embed,
    _event,
    _send,
    _send_after_commit,
    _stale_before,
    _worker_name,
)
from support.services.knowledge import TOP_ARTICLES, knowledge_refresh_embeddings, knowledge_retrieve
from support.services.language import reply_language, suggestion_from_template
from support.services.strategies import (
    intent_articles,
    intent_canned,
    nearest_resolved_reply,
    shop_details,
    strategy_for_intent,
)
from support.services.tickets import _send_staff_reply

logger = logging.getLogger(__name__)


def suggestion_request(*, ticket: Ticket, actor) -> ReplySuggestion | None:
    """Queue a suggested reply to the ticket's latest customer message.

    A ready suggestion nobody decided on is superseded (it answered an older
    message); if one is already pending or generating, nothing is added (the
    unique constraint holds even against a concurrent request).
    """
    require_permission(actor, PERMISSION, error=NotAllowed)
    language = reply_language(ticket)
    if language.foreign:  # the model writes the shop's language: a template in the customer's, or nothing
        return suggestion_from_template(ticket=ticket, plan=language, actor=actor)
    with transaction.atomic():
        if ReplySuggestion.objects.filter(ticket=ticket, status__in=[ReplySuggestion.Status.PENDING,
                                                                   ReplySuggestion.Status.GENERATING]).exists():
            return None
        ReplySuggestion.objects.filter(ticket=ticket, status=ReplySuggestion.Status.READY, decision="").update(
            status=ReplySuggestion.Status.SUPERSEDED)
        ReplySuggestion.objects.filter(ticket=ticket, status=ReplySuggestion.Status.FAILED).update(
            status=ReplySuggestion.Status.SUPERSEDED)
        try:
            with transaction.atomic():
                suggestion = ReplySuggestion.objects.create(ticket=ticket)
        except IntegrityError:
            return None
        _send_after_commit("suggest_reply", suggestion.pk)
    return suggestion


def suggestions_claim(*, limit: int, first_id: int | None = None, worker: str = "") -> list[ReplySuggestion]:
    """Claim up to ``limit`` pending suggestions (``first_id`` first) for one model call.

    On PostgreSQL ``SKIP LOCKED`` lets workers take disjoint batches; the
    compare-and-set update makes a claim exclusive on any database. A claim older
    than the hard time limit (a worker died) can be taken over.
    """
    now = timezone.now()
    claimable = Q(status=ReplySuggestion.Status.PENDING) | Q(status=ReplySuggestion.Status.GENERATING,
                                                              claimed_at__lt=_stale_before(now))
    with transaction.atomic():
        queued = ReplySuggestion.objects.filter(claimable).order_by("created_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True, of=("self",))
        ids = list(queued.values_list("pk", flat=True)[:limit * 4])
        if first_id in ids:
            ids.remove(first_id)
            ids.insert(0, first_id)
        ids = ids[:limit]
        ReplySuggestion.objects.filter(claimable, pk__in=ids).update(
            status=ReplySuggestion.Status.GENERATING, claimed_at=now, attempts=F("attempts") + 1,
            worker=worker or _worker_name())
    return list(ReplySuggestion.objects.filter(pk__in=ids, status=ReplySuggestion.Status.GENERATING, claimed_at=now)
                .select_related("ticket", "ticket__queue"))


@dataclass
class _Context:
    suggestion: ReplySuggestion
    prompt: inference.ChatPrompt | None  # None: a template strategy wrote ``body``, no model call
    sources: list[prompts.Source]
    mapping: dict[str, str]
    ticket_text: str
    customer: str
    based_on: Message | None
    quote: list[str]
    strategy: str = "model"
    body: str = ""
    template: dict = field(default_factory=dict)  # where a template strategy's text came from (provenance)


def _thread_context(ticket: Ticket) -> tuple[str, list[prompts.ThreadMessage], dict[str, str], str, Message | None]:
    """The redacted subject and thread (no internal notes) with one placeholder numbering for all of it."""
    messages = list(ticket.messages.exclude(author_kind=Message.Author.NOTE).order_by("created_at", "pk"))
    order_ref = redact_text(f"Order reference: {ticket.order_reference}", customer_name=ticket.customer_name) \
        if ticket.order_reference else None
    parts = [(ticket.redacted_subject, ticket.redactions)] + [(m.redacted_body, m.redactions) for m in messages]
    if order_ref:
        parts.append((order_ref.text, order_ref.mapping))
    texts, mapping = thread_redaction(parts)
    thread = [prompts.ThreadMessage("customer" if m.author_kind == Message.Author.CUSTOMER else "staff", text)
              for m, text in zip(messages, texts[1:])]
    if order_ref:
        thread.insert(0, prompts.ThreadMessage("customer", texts[-1]))
    customer = next((p for p, v in mapping.items() if p.startswith("[NAME_") and v == ticket.customer_name), "")
    based_on = next((m for m in reversed(messages) if m.author_kind == Message.Author.CUSTOMER), None)
    return texts[0], thread, mapping, customer, based_on


def _query_text(subject: str, thread: list[prompts.ThreadMessage]) -> str:
    last = next((m.text for m in reversed(thread) if m.author == "customer"), "")
    return f"{subject}\n{last}"


def _relevant_sentences(sources: list[prompts.Source], query: np.ndarray, limit: int = 2) -> list[str]:
    """The best article's sentences closest to the customer's message, in the article's order."""
    article = next((s for s in sources if s.kind == "article"), None)
    if article is None:
        return []
    candidates = checks.sentences(article.body)[:40]
    if len(candidates) <= limit:
        return candidates
    return replies.relevant_sentences(candidates, _embed(candidates), query, limit)


def _intent_first(ticket: Ticket, retrieved: list[prompts.Source]) -> list[prompts.Source]:
    """The intent's article (its tags name the intent) first, then the retrieved ones: at most TOP_ARTICLES."""
    own = [prompts.Source(0, "article", a.pk, a.title, a.body, 1.0, a.url) for a in intent_articles(ticket.intent)]
    articles = [s for s in retrieved if s.kind == "article"]
    return replies.numbered(replies.numbered(own[:1], articles)[:TOP_ARTICLES])


def _strategy_context(context: _Context, ticket: Ticket, query: np.ndarray, subject: str,
                      thread: list[prompts.ThreadMessage]) -> _Context:
    """Apply the intent's strategy; a template strategy with nothing to start from falls back (to the model)."""
    strategy = strategy_for_intent(ticket.intent)
    order = next((p for p in context.mapping if p.startswith("[ORDER_")), "") or ticket.order_reference
    details = shop_details(customer=context.customer, order=order)
    nearest = nearest_resolved_reply(ticket, query) if strategy in ("nearest", "combined") else None
    nearest_body = replies.adapt(nearest[1], details) if nearest else ""
    if strategy == "nearest" and not nearest_body:
        strategy = "canned"
    if strategy == "canned":
        canned = intent_canned(ticket)
        body = replies.adapt(canned.body, details) if canned else ""
        if body:
            context.template = {"canned_response": canned.pk}
        else:
            strategy = "model"
    elif strategy == "nearest":
        body = nearest_body
        context.template = {"ticket": nearest[0].public_id if nearest else ""}
    if strategy in ("nearest", "canned"):
        context.strategy, context.prompt = strategy, None
        context.body = replies.framed(body, customer=context.customer, shop_name=conf.SUPPORT_SHOP_NAME)
        context.sources = _intent_first(ticket, context.sources)
        context.quote = _relevant_sentences(context.sources, query)
        return context
    if strategy == "combined" and nearest_body:
        sources = replies.numbered(_intent_first(ticket, context.sources),
                                   [prompts.Source(0, "canned", 0, "Reply to a similar resolved ticket", nearest_body)])
        context.sources, context.strategy, context.template = sources, "combined", {"ticket": nearest[0].public_id}
        context.prompt = prompts.build_reply_prompt(shop_name=conf.SUPPORT_SHOP_NAME, subject=subject, thread=thread,
                                                    sources=sources, customer=context.customer)
        context.quote = _relevant_sentences(sources, query)
    return context


def reply_options() -> inference.GenerationOptions:
    """The decoding options of a suggested reply, with the active ``support.reply`` adapter if there is one."""
    options = prompts.reply_options(conf.SUPPORT_REPLY_MAX_NEW_TOKENS)
    adapter = adapter_active_path(replies.REPLY_PURPOSE)
    return dataclasses.replace(options, adapter=adapter) if adapter else options


def suggestions_generate(batch: list[ReplySuggestion]) -> dict[str, int]:
    """Write the claimed suggestions (one model call for those the model writes), check them, and make them ready.

    Each ticket's intent picks the strategy (``strategy_for_intent``). Runs the model outside any
    transaction; each result is saved with a compare-and-set on the claim, so a claim that was
    taken over cannot be overwritten by a late worker.
    """
    counts = {"ready": 0, "failed": 0, "requeued": 0}
    if not batch:
        return counts
    try:
        knowledge_refresh_embeddings()
        contexts = []
        queries = []
        for suggestion in batch:
            subject, thread, mapping, customer, based_on = _thread_context(suggestion.ticket)
            contexts.append((suggestion, subject, thread, mapping, customer, based_on))
            queries.append(_query_text(subject, thread))
        embeddings = inference.get_embedder().embed(queries)
        built: list[_Context] = []
        for (suggestion, subject, thread, mapping, customer, based_on), query in zip(contexts, embeddings.vectors):
            sources = knowledge_retrieve(query, model_id=embeddings.model_id, queue_id=suggestion.ticket.queue_id)
            prompt = prompts.build_reply_prompt(shop_name=conf.SUPPORT_SHOP_NAME, subject=subject, thread=thread,
                                                sources=sources, customer=customer)
            ticket_text = "\n".join([subject] + [m.text for m in thread if m.author == "customer"])
            quote = _relevant_sentences(sources, query)
            context = _Context(suggestion, prompt, sources, mapping, ticket_text, customer, based_on, quote)
            built.append(_strategy_context(context, suggestion.ticket, query, subject, thread))
        options = reply_options()
        to_model = [c for c in built if c.prompt is not None]
        generator = inference.get_generator() if to_model else None
        extra = {"groundings": reply_groundings(to_model)} \
            if to_model and conf.SUPPORT_REPLY_GROUNDED and getattr(generator, "supports_grounding", False) else {}
        results = dict(zip((id(c) for c in to_model),
                           generator.generate([c.prompt for c in to_model], options, **extra) if to_model else []))
    except inference.ModelError as exc:
        return _suggestions_fail_or_requeue(batch, str(exc), permanent=exc.permanent)
    for context in built:
        result = results.get(id(context))
        if _suggestion_save(context, result, options if result is not None else None):
            counts["ready"] += 1
    return counts


def reply_groundings(contexts: list[_Context]) -> list[inference.Grounding]:
    """Grounded decoding for the model's replies (``replies.reply_grounding``): only the citations and
    placeholders each was given, only links of the knowledge base and the shop, no chatbot lines."""
    known = checks.links(_known_links_text(None))
    shop_texts = [settings.DEFAULT_FROM_EMAIL, *conf.SUPPORT_REDACTION_KEEP]
    return [replies.reply_grounding(sources=c.sources, mapping=c.mapping, shop_texts=shop_texts, known_links=known)
            for c in contexts]


def _suggestion_save(context: _Context, result: inference.Generation | None,
                     options: inference.GenerationOptions | None) -> bool:
    suggestion = context.suggestion
    done = replies.finish(result.text if result is not None else context.body, sources=context.sources,
                          quote=context.quote, ticket_text=context.ticket_text, mapping=context.mapping,
                          customer=context.customer,
                          shop_texts=[settings.DEFAULT_FROM_EMAIL, *conf.SUPPORT_REDACTION_KEEP],
                          cite_by_design=result is None)
    articles = [s for s in context.sources if s.kind == "article"]
    provenance = ({"model_id": result.model_id, "tokens_in": result.tokens_in, "tokens_out": result.tokens_out,
                   "seconds": result.seconds, "options": options.as_dict() | {"grounded": result.grounded}
                   | ({"template": context.template} if context.template else {})}
                  if result is not None else
                  {"model_id": "", "tokens_in": None, "tokens_out": None, "seconds": 0.0,
                   "options": {"template": context.template}})
    with transaction.atomic():
        updated = ReplySuggestion.objects.filter(
            pk=suggestion.pk, status=ReplySuggestion.Status.GENERATING, claimed_at=suggestion.claimed_at,
        ).update(
            status=ReplySuggestion.Status.READY, redacted_text=done.text,
            text=restore(done.text, context.mapping), based_on=context.based_on,
            sources=[{"number": s.number, "kind": s.kind, "id": s.id, "title": s.title, "similarity": s.similarity}
                     for s in context.sources],
            citations=[s.id for s in done.cited], prompt_version=prompts.PROMPT_VERSION, strategy=context.strategy,
            flags=done.flags, failure_reason="", generated_at=timezone.now(), **provenance,
        )
        if not updated:
            logger.info("suggestion %s was no longer ours; result dropped", suggestion.pk)
            return False
        suggestion.articles.set([s.id for s in articles])
        suggestion.canned_responses.set([s.id for s in context.sources if s.kind == "canned" and s.id])
        how = (f"{result.tokens_out} tokens in {result.seconds:.1f} s" if result is not None
               else f"{context.strategy} strategy, no model")
        _event(suggestion.ticket_id, TicketEvent.Kind.SUGGESTED, to_value=f"suggestion {suggestion.pk}",
               comment=f"{len(done.flags)} flag(s); {how}")
        latest = Message.objects.filter(ticket_id=suggestion.ticket_id, author_kind=Message.Author.CUSTOMER) \
            .order_by("-created_at", "-pk").values_list("pk", flat=True).first()
        if context.based_on is not None and latest != context.based_on.pk:
            suggestion_request(ticket=suggestion.ticket, actor=None)  # the customer wrote again meanwhile
    return True


def _suggestions_fail_or_requeue(batch: list[ReplySuggestion], reason: str, *, permanent: bool) -> dict[str, int]:
    counts = {"ready": 0, "failed": 0, "requeued": 0}
    requeued = []
    for suggestion in batch:
        mine = ReplySuggestion.objects.filter(pk=suggestion.pk, status=ReplySuggestion.Status.GENERATING,
                                              claimed_at=suggestion.claimed_at)
        if permanent or suggestion.attempts >= MAX_ATTEMPTS:
            counts["failed"] += mine.update(status=ReplySuggestion.Status.FAILED, failure_reason=reason[:2000])
        elif mine.update(status=ReplySuggestion.Status.PENDING, failure_reason=reason[:2000], claimed_at=None):
            counts["requeued"] += 1
            requeued.append(suggestion.pk)
    for pk in requeued:
        _send("suggest_reply", pk, countdown=30)
    logger.warning("suggestions %s: %s", [s.pk for s in batch],
                   log_safe(reason, customer_name=[s.ticket.customer_name for s in batch]))
    return counts


def suggestions_process(
    *, first_id: int | None = None, batch_size: int | None = None, worker: str = ""
) -> dict[str, int]:
    """Claim one batch (``first_id`` first) and write it; a duplicate task finds nothing to claim."""
    batch = suggestions_claim(limit=batch_size or conf.ECOMCMS_GENERATION_BATCH_SIZE, first_id=first_id, worker=worker)
    return suggestions_generate(batch)


def _known_links_text(ticket: Ticket | None) -> str:
    """Where a link in a reply may come from: the knowledge base, the shop's own addresses, the customer's address
    (``ticket`` None: every customer's address is left out)."""
    articles = KnowledgeArticle.objects.filter(is_published=True).values_list("title", "body", "url")
    canned = CannedResponse.objects.filter(is_active=True).values_list("body", flat=True)
    return "\n".join([*("\n".join(row) for row in articles), *canned, settings.DEFAULT_FROM_EMAIL,
                      *conf.SUPPORT_REDACTION_KEEP, ticket.customer_email if ticket is not None else ""])


def reply_send_blockers(ticket: Ticket, text: str) -> list[dict]:
    """Why ``text`` cannot be sent to this ticket's customer (empty when it can)."""
    known = _known_links_text(ticket) if checks.links(text) else ""
    return checks.send_blockers(text, known_text=known)


def _confirmed_codes(confirm_flags) -> set[str]:
    """``["figure", "code"]``, ``"figure,code"`` or ``None`` as a set of flag codes."""
    if not confirm_flags:
        return set()
    items = [confirm_flags] if isinstance(confirm_flags, str) else list(confirm_flags)
    return {code for item in items for code in str(item).replace(",", " ").split()}


def _check_sendable(suggestion: ReplySuggestion, text: str, confirm_flags) -> None:
    """Refuse a reply that cannot go out as written, or whose suggestion's flags nobody confirmed by name."""
    blockers = reply_send_blockers(suggestion.ticket, text)
    if blockers:
        raise ReplyNotSendable(blockers)
    missing = [
        code for code in checks.flags_to_confirm(suggestion.flags) if code not in _confirmed_codes(confirm_flags)
    ]
    if missing:
        raise FlagsNotConfirmed(missing, suggestion.flags)


def _decide(suggestion: ReplySuggestion, *, actor, decision: str, text: str = "", reason: str = "",
            status_after: str = TicketStatus.WAITING, confirm_flags=None) -> ReplySuggestion:
    require_permission(actor, PERMISSION, error=NotAllowed)
    text = checks.plain_text(text).strip() if text else text
    if decision != ReplySuggestion.Decision.REJECTED:
        _check_sendable(suggestion, text, confirm_flags)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=suggestion.ticket_id)
        now = timezone.now()
        updated = ReplySuggestion.objects.filter(
            pk=suggestion.pk, status=ReplySuggestion.Status.READY, decision=""
        ).update(decision=decision, decided_by=actor, decided_at=now, sent_text=text, reject_reason=reason)
        if updated != 1:
            current = ReplySuggestion.objects.get(pk=suggestion.pk)
            if current.decision:
                raise StateError(f"this suggestion was already {current.get_decision_display().lower()}"
                                 f"{' by ' + str(current.decided_by) if current.decided_by else ''}")
            raise StateError(f"this suggestion is {current.get_status_display().lower()}, not ready")
        current = ReplySuggestion.objects.get(pk=suggestion.pk)
        if decision != ReplySuggestion.Decision.REJECTED:
            _send_staff_reply(ticket, actor=actor, text=text, status_after=status_after, suggestion=current)
        _event(ticket, TicketEvent.Kind.DECISION, actor=actor, from_value=f"suggestion {suggestion.pk}",
               to_value=decision, comment=reason)
    return current


def suggestion_accept(*, suggestion: ReplySuggestion, actor, status_after: str = TicketStatus.WAITING,
                      confirm_flags=None) -> ReplySuggestion:
    """Send the suggested reply as it is: emailed to the customer and added to the thread.

    Refused (``ReplyNotSendable``) while it has an unfilled placeholder or a link absent
    from the knowledge base, and (``FlagsNotConfirmed``) unless ``confirm_flags`` names
    every other flag of the suggestion.
    """
    return _decide(suggestion, actor=actor, decision=ReplySuggestion.Decision.ACCEPTED, text=suggestion.text,
                   status_after=status_after, confirm_flags=confirm_flags)


def suggestion_edit_and_send(*, suggestion: ReplySuggestion, actor, text: str,
                             status_after: str = TicketStatus.WAITING, confirm_flags=None) -> ReplySuggestion:
    """Send the staff member's edit of the suggestion; both texts are kept (what was suggested, what was sent).

    The edited text is checked like an accepted one, and the suggestion's flags need the same confirmation.
    """
    text = _clean_text(text, field="reply", limit=MAX_BODY)
    if " ".join(text.split()) == " ".join(suggestion.text.split()):
        return suggestion_accept(suggestion=suggestion, actor=actor, status_after=status_after,
                                 confirm_flags=confirm_flags)
    return _decide(suggestion, actor=actor, decision=ReplySuggestion.Decision.EDITED, text=text,
                   status_after=status_after, confirm_flags=confirm_flags)


def suggestion_reject(*, suggestion: ReplySuggestion, actor, reason: str) -> ReplySuggestion:
    """Refuse the suggestion, with a reason (kept for improving prompts and sources). Nothing is sent."""
    reason = (reason or "").strip()
    if not reason:
        raise SupportError("a reason is required to reject a suggestion")
    return _decide(suggestion, actor=actor, decision=ReplySuggestion.Decision.REJECTED, reason=reason[:2000])
