"""Pure functions: tidy a model-written reply, find its citations, and flag what staff must look at.

A suggestion is never sent without a person, so the checks do not block: they
say what looks wrong (a link or a figure the sources do not give, a code the
model made up, a reply that follows the customer's instructions) and the
reviewer decides. Each flag is ``{"code", "message"}``; ``code`` is stable.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import nh3

from ecomcms.inference.replyrules import LINK
from support.prompts import Source

MAX_REPLY_CHARS = 1500

_CITATION = re.compile(r"\[(\d{1,2})\]")
_PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")
_BRACKETED = re.compile(r"\[[^\[\]\n]{2,40}\]")
_NAME_GUESSES = re.compile(
    r"\[(?:the\s+)?(?:customer(?:'s|’s)?\s*(?:first\s+|full\s+)?name|name|customer|client(?:'s)?\s*name|recipient)\]",
    re.IGNORECASE,
)
_SIGNER_GUESSES = re.compile(
    r"^\s*\[(?:your|agent(?:'s)?|my|support agent(?:'s)?)\s*name\]\s*$", re.IGNORECASE | re.MULTILINE
)
_LEADING_LABEL = re.compile(r"^\s*(?:reply|response|answer|email)\s*:\s*", re.IGNORECASE)
#: Where a small model stops replying and starts rambling: separators, a P.S., a fake chat log.
_RAMBLE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,}|P\.\s?S\.?|Chat History\b|Acknowledg|This response\b)",
                     re.IGNORECASE | re.MULTILINE)
_SIGN_OFF = re.compile(r"^\s*(?:best|kind|warm)?\s*regards,?.*$|^\s*sincerely,?.*$", re.IGNORECASE | re.MULTILINE)

#: What a link is: web addresses, bare domains, email addresses. One pattern for the flags, the send guard
#: and the grounded decoding that keeps unknown links out of the model's replies.
_LINK = LINK
INSTRUCTION_LIKE = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:(?:all|any|the|your|my|these|those|previous|prior|above|earlier)\s+)*"
    r"(?:instructions|rules|prompt|guidelines)\b"
    r"|\bsystem\s+prompt\b|\byou\s+are\s+now\b|\bnew\s+instructions\b|\bdeveloper\s+mode\b"
    r"|\bact\s+as\s+(?:a|an|my)\b|\bpretend\s+(?:to\s+be|you\s+are)\b"
    r"|\bas\s+an\s+ai\b|\bas\s+a\s+(?:large\s+)?language\s+model\b|\bi(?:\s+am|'m|’m)\s+an\s+ai\b|\bchatbot\b",
    re.IGNORECASE,
)
_COMMITMENT = re.compile(
    r"\b(?:refund|discount|voucher|coupon|promo|promotion|gift)\s*(?:card\s*)?codes?\b|\bgift\s+cards?\b"
    r"|\b\d{1,3}\s?%\s*(?:off|discount)\b|\bfree\s+of\s+charge\b|\bcompensation\b|\bstore\s+credit\b",
    re.IGNORECASE,
)
#: A made-up code: 6+ characters of capitals and digits with at least one digit and one capital ("REFUND2024").
_CODE = re.compile(r"(?<![\w\[-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{4,}[A-Z0-9](?![\w\]-])")
_FIGURE = re.compile(r"(?<![\w\[])\d+(?:[.,]\d+)?(?![\w\]])")
#: The number of a numbered list item ("2. Open ..."): layout, not a figure.
_LIST_NUMBER = re.compile(r"^(\s*)\d{1,2}[.)](?=\s)", re.MULTILINE)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def plain_text(text: str) -> str:
    """Replies are plain-text emails: HTML tags go (scripts and styles with their content), the words stay.

    Repeated until stable, so markup smuggled in as entities (``&lt;script&gt;``)
    cannot come back as a tag once unescaped.
    """
    for _ in range(5):
        cleaned = html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True))
        if cleaned == text:
            break
        text = cleaned
    return text


def has_markup(text: str) -> bool:
    return plain_text(text) != text


def clean_reply(text: str, *, customer_placeholder: str = "") -> str:
    """Tidy what a small model writes around the reply; the wording itself is left alone.

    Drops a "Reply:" label and surrounding quotes, puts the known customer
    placeholder where the model guessed one ("[Customer's name]"), removes a
    "[Your Name]" line, stops at a separator line, a "P.S." or a made-up chat
    log, and after the sign-off line and the line that follows it (small models
    keep writing), and trims to ``MAX_REPLY_CHARS`` at a sentence end.
    """
    text = _LEADING_LABEL.sub("", plain_text(text).strip()).strip().strip('"“”').strip()
    text = _NAME_GUESSES.sub(customer_placeholder or "", text)
    text = _SIGNER_GUESSES.sub("", text)
    ramble = _RAMBLE.search(text)
    if ramble and ramble.start() > 0:
        text = text[: ramble.start()]
    sign_off = _SIGN_OFF.search(text)
    if sign_off:
        rest = text[sign_off.end():].lstrip("\n")
        next_line = rest.split("\n", 1)[0] if rest else ""
        keep = next_line if 0 < len(next_line) <= 60 and not re.search(r"[.?!:]\s*$", next_line[:-1] or "x") else ""
        text = text[: sign_off.end()] + ("\n" + keep if keep else "")
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > MAX_REPLY_CHARS:
        cut = text[:MAX_REPLY_CHARS]
        end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind("\n"))
        text = cut[: end + 1].rstrip() if end > MAX_REPLY_CHARS // 2 else cut.rstrip() + "…"
    return text


def cited_numbers(text: str) -> list[int]:
    return list(dict.fromkeys(int(n) for n in _CITATION.findall(text)))


def reply_flags(text: str, *, sources: Sequence[Source], ticket_text: str, mapping: dict[str, str],
                shop_texts: Sequence[str] = ()) -> list[dict]:
    """What the reviewer should check in a (redacted) reply, judged against everything the model was given."""
    flags: list[dict] = []

    def flag(code: str, message: str) -> None:
        if all(f["message"] != message for f in flags):
            flags.append({"code": code, "message": message})

    if not text.strip():
        flag("empty", "The model wrote nothing usable; write the reply yourself.")
        return flags
    given = _norm("\n".join([s.title + "\n" + s.body + "\n" + s.url for s in sources] + [ticket_text, *shop_texts]))
    articles = {s.number for s in sources if s.kind == "article"}
    numbers = cited_numbers(text)
    for number in numbers:
        if number not in articles:
            flag("bad_citation", f"Cites [{number}], which is not one of the articles it was given.")
    if articles and not set(numbers) & articles:
        flag("no_citation", "The model cited no article: the most relevant sentences of the best-matching article "
                            "were added to its reply. Check that they answer the question.")
    if not articles:
        flag("no_article", "No published article matched this ticket: the reply is not grounded in the knowledge base.")
    injected = bool(INSTRUCTION_LIKE.search(ticket_text))
    # A link the customer wrote is fine to repeat, unless their message tries to instruct the model.
    linkable = _norm("\n".join([s.title + "\n" + s.body + "\n" + s.url for s in sources] + [*shop_texts])) \
        if injected else given
    for match in _LINK.finditer(text):
        link = _norm(match.group().rstrip(".,;:"))
        if link not in linkable:
            where = ("comes from a message that tries to instruct the model" if link in given
                     else "is not in the articles or the ticket")
            flag("link", f'Contains "{match.group()}", which {where}.')
    for match in INSTRUCTION_LIKE.finditer(text):
        flag("instruction", f'Contains "{match.group()}": the reply may follow instructions or talk about itself.')
    for match in _COMMITMENT.finditer(text):
        if _norm(match.group()) not in given:
            flag("commitment", f'Promises "{match.group()}", which the articles do not offer.')
    for match in _CODE.finditer(text):
        if _norm(match.group()) not in given:
            flag("code", f'Contains the code "{match.group()}", which is not in the articles or the ticket.')
    without_markup = _LIST_NUMBER.sub(r"\1", _PLACEHOLDER.sub(" ", _CITATION.sub(" ", text)))
    for match in _FIGURE.finditer(without_markup):
        if not re.search(rf"(?<![\d.,]){re.escape(match.group())}(?![\d])", given):
            flag("figure", f'Mentions "{match.group()}", a figure the articles and the ticket do not give.')
    for match in _PLACEHOLDER.finditer(text):
        if match.group() not in mapping:
            flag("placeholder", f"Contains {match.group()}, which stands for nothing; replace it.")
    for match in _BRACKETED.finditer(text):
        if not _PLACEHOLDER.fullmatch(match.group()) and not _CITATION.fullmatch(match.group()):
            flag("placeholder", f"Contains {match.group()}, a gap the model left; fill it in or remove it.")
    if injected:
        flag("ticket_instructions", "The customer's message contains instruction-like text; it was treated as data. "
                                    "Check that the reply does not do what it asks.")
    return flags


def ticket_has_instructions(text: str) -> bool:
    return bool(INSTRUCTION_LIKE.search(text))


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


def sentences(text: str) -> list[str]:
    """An article body as sentences (for quoting the relevant ones)."""
    return [s.strip() for s in _SENTENCE_SPLIT.split(" ".join(text.split())) if s.strip()]


def with_quote(reply: str, source: Source, quoted: Sequence[str]) -> str:
    """Add the article's most relevant sentences, cited, before the reply's sign-off (or at its end)."""
    if not quoted:
        return reply
    quote = f'From our help article "{source.title}" [{source.number}]: ' + " ".join(quoted)
    if not reply:
        return quote
    sign_off = _SIGN_OFF.search(reply)
    if sign_off and sign_off.start() > 0:
        head = reply[: sign_off.start()].rstrip()
        return f"{head}\n\n{quote}\n\n{reply[sign_off.start():].lstrip()}"
    return f"{reply}\n\n{quote}"


def related_articles_footer(sources: Sequence[Source]) -> str:
    """The cited articles as a short list the customer can follow."""
    lines = [f"[{s.number}] {s.title}" + (f": {s.url}" if s.url else "") for s in sources]
    if not lines:
        return ""
    return ("Related help article:\n" if len(lines) == 1 else "Related help articles:\n") + "\n".join(lines)


# --- What may be sent -------------------------------------------------------------------------------------

#: Flag codes that stop a reply from being sent at all; every other flag needs a confirmation by name.
BLOCKING_CODES = frozenset({"placeholder", "link"})

_CITATIONS = re.compile(r"\[\d{1,2}(?:\s*,\s*\d{1,2})*\]")
#: A gap nobody filled in: "[NAME1]", "[address]", "[Your Name]", an unclosed "[Your_", "{order_id}", "{{ name }}".
_UNFILLED = re.compile(
    r"\[[^\[\]\n]{1,60}\]"
    r"|\[(?=[A-Za-z_])[^\[\]\n]{0,60}(?=[\[\n]|$)"
    r"|\{\{?\s*[A-Za-z_][\w .-]{0,40}\}\}?"
)


def unfilled_placeholders(text: str) -> list[str]:
    """The placeholders and template gaps left in a reply (citations such as "[1]" are not gaps)."""
    return list(dict.fromkeys(m.group() for m in _UNFILLED.finditer(text) if not _CITATIONS.fullmatch(m.group())))


def links(text: str) -> list[str]:
    """Web addresses, bare domains and email addresses in a reply, as written."""
    return list(dict.fromkeys(m.group().rstrip(".,;:") for m in _LINK.finditer(text)))


def send_blockers(text: str, *, known_text: str) -> list[dict]:
    """Why ``text`` cannot be sent as it is: unfilled placeholders, and links ``known_text`` (the knowledge
    base, the shop's own addresses, the customer's address) does not contain. ``{"code", "message"}`` each."""
    problems = [{"code": "placeholder", "message": f"Contains {gap}, a gap nobody filled in: replace it or remove it."}
                for gap in unfilled_placeholders(text)]
    known = _norm(known_text)
    problems += [{"code": "link", "message": f'Contains "{link}", which is not in the knowledge base: remove it.'}
                 for link in links(text) if _norm(link) not in known]
    return problems


def flags_to_confirm(flags: Sequence[dict]) -> list[str]:
    """The codes of a suggestion's flags that a person must confirm by name before it is sent."""
    return list(
        dict.fromkeys(f.get("code", "") for f in flags if f.get("code") and f.get("code") not in BLOCKING_CODES)
    )
