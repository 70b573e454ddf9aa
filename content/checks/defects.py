"""Defects no editor would publish: text cut off mid-sentence, unfilled placeholders, the wrong voice."""

from __future__ import annotations

import re

from content.checks.base import Finding, overlaps as _overlaps, quote as _quote, result as _result

# --- cut off ------------------------------------------------------------------------------------

# Copy may end with a sentence mark, then closing quotes or brackets, hashtags or emoji.
_END_RE = re.compile(r"(?:[.!?…](?:[\"'”’)\]]*)(?:\s+#[\w-]+)*|[\u2600-\u27bf\U0001f000-\U0001faff])[\s\W]*$")
# A headline without a full stop is fine; one that ends on a word that needs another is not.
_DANGLING_RE = re.compile(
    r"(?:\b(?:and|or|but|with|for|of|to|the|a|an|in|on|at|by|from|your|our|its|their|is|are|that|which|"
    r"as|than|into|onto|while|so|plus)|[,;:&(\[–-])\s*$",
    re.IGNORECASE,
)


def check_cut_off(text: str, complete_sentences: bool = True) -> dict:
    """Text that stops mid-sentence (a model that ran out of tokens) reads as broken on the page.

    ``complete_sentences``: the kind of copy is prose (a description), so it must end at a
    sentence mark; headlines and titles need none, but must not end on "and", "with" or a comma.
    """
    stripped = text.rstrip()
    findings = []
    if stripped:
        tail_start = max(0, len(stripped) - 40)
        tail = stripped[tail_start:]
        last = re.search(r"\S+\s*$", tail)
        span = (tail_start + last.start(), len(stripped)) if last else None
        if _DANGLING_RE.search(stripped):
            findings.append(Finding(f'Cut off: the text ends mid-sentence ("…{_quote(tail)}").', span))
        elif complete_sentences and not _END_RE.search(stripped):
            findings.append(Finding(f'Cut off: the text does not end at the end of a sentence ("…{_quote(tail)}").',
                                    span))
    return _result("cut_off", findings, "The text ends at the end of a sentence.")


# --- placeholders -------------------------------------------------------------------------------

_PLACEHOLDER_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a placeholder in brackets", re.compile(r"\[[^\]\[\n]{0,40}\]|\[[^\]\[\s]*|\]")),
    ("a placeholder in braces", re.compile(r"\{[^{}\n]{0,40}\}|\{[^{}\s]*|\}")),
    ("empty angle brackets", re.compile(r"<\s*>|&lt;\s*&gt;")),
    ("a template variable", re.compile(r"(?<![\w.@/])[A-Za-z]+_[A-Za-z_]+\b|\b[A-Z]{2,}_\w*")),
    ("a placeholder", re.compile(
        r"\b(?:lorem\s+ipsum|insert\s+[\w\s']{0,30}\s+here|your\s+(?:brand|product|company|store|shop)\s+name|"
        r"product\s+name\s+here|TBD|TODO|XX+)\b", re.IGNORECASE)),
)


def check_placeholders(text: str, facts_text: str = "") -> dict:
    """A template the model did not fill in ("[name", "[Your_", "{product}", "<>") must not be published.

    Brackets that the product data itself contains ("Shirt [2-pack]") are allowed.
    """
    findings = []
    for kind, pattern in _PLACEHOLDER_RES:
        for match in pattern.finditer(text):
            taken = [finding.span for finding in findings]
            if match.group().strip() and match.group() not in facts_text and not _overlaps(match.span(), taken):
                findings.append(Finding(f'Contains {kind} "{_quote(match.group())}" that was never filled in.',
                                        match.span()))
    findings.sort(key=lambda finding: finding.span)
    return _result("placeholders", findings, "No unfilled placeholders.")


# --- voice --------------------------------------------------------------------------------------

_VOICE_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "talks about itself as an AI",
        re.compile(
            r"\bas\s+an\s+ai\b|\b(?:large\s+)?language\s+model\b|\bi(?:\s+am|'m|’m)\s+(?:an?\s+)?(?:ai|assistant|chatbot)\b"
            r"|\bi\s+(?:cannot|can't|can’t)\s+(?:help|provide|browse|access)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "addresses the reader like a support agent",
        re.compile(
            r"\b(?:i'?m|i’m|we'?re|we’re|i\s+am|we\s+are)\s+(?:so\s+)?(?:glad|happy|sorry|delighted|pleased)\s+"
            r"(?:to\s+hear|you|that|for)\b"
            r"|\bthank(?:s|\s+you)\s+(?:so\s+much\s+)?for\s+(?:your|the|choosing|shopping|reaching|contacting|"
            r"sharing|purchasing)\b"
            r"|\b(?:enjoying|enjoy)\s+your\s+new\b|\byour\s+(?:new\s+)?(?:purchase|order)\b"
            r"|\b(?:i|we)\s+(?:hope|apologi[sz]e)\b|\bhope\s+this\s+helps\b|\bhappy\s+to\s+help\b"
            r"|\bfeel\s+free\s+to\b|\blet\s+(?:me|us)\s+know\b|\b(?:please\s+)?(?:contact|reach\s+out\s+to)\s+(?:me|us|our)\b"
            r"|\bhow\s+(?:can|may)\s+i\b|\bis\s+there\s+anything\s+else\b"
            r"|(?:^|(?<=[.!?]\s))(?:want|would\s+you\s+like|do\s+you\s+want|shall\s+i|should\s+i|can\s+i)\b"
            r"[^.!?\n]{0,80}\?",
            re.IGNORECASE,
        ),
    ),
    (
        "speaks as a customer",
        re.compile(
            r"\bbest\s+(?:(?!you\b|will\b|we\b|i\b)[\w-]+\s+){0,3}ever\s*[!.]|\bi\s+(?:love|loved|bought|ordered|received|purchased|got|use|used|tried|"
            r"recommend|would\s+recommend|highly\s+recommend)\b|\bhighly\s+recommend(?:ed)?\b|\bwould\s+(?:definitely\s+)?"
            r"buy\s+(?:it\s+|this\s+|them\s+)?again\b|\b[1-5]\s+stars?\b|\bfive\s+stars?\b"
            r"|\bmy\s+(?:wife|husband|son|daughter|kids|partner|mom|mum|dad|friend|girlfriend|boyfriend)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "writes in the first person",
        re.compile(r"(?-i:\bI\b)(?!\s*[-–.])|\b(?:i['’](?:m|ve|d|ll)|me|my|mine|myself)\b", re.IGNORECASE),
    ),
)


def check_voice(text: str, facts_text: str = "") -> dict:
    """Shop copy speaks for the shop about the product, in the third person or as "we".

    Text that answers the reader like a support agent ("I'm glad you're enjoying your new
    device", "Want some more details?"), speaks as a customer ("Best headphones ever!",
    "I bought two"), talks about itself as an AI, or says "I" and "my" ("To get started with
    my list") is a chat reply or a review, not copy. Words that the product data contains
    (a product called "Made For Me") are allowed.
    """
    findings = []
    taken: list[tuple[int, int]] = []
    facts = facts_text.lower()
    for kind, pattern in _VOICE_RES:
        for match in pattern.finditer(text):
            found = match.group()
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            if re.search(rf"(?<!\w){re.escape(found.lower())}(?!\w)", facts):
                continue
            taken.append(match.span())
            findings.append(Finding(f'The text {kind}: "{_quote(found)}".', match.span()))
    findings.sort(key=lambda finding: finding.span)
    return _result("voice", findings, "Written about the product, not as a customer, an assistant or a chatbot.")
