"""Placeholders and links as they are formed: the rules the grounding logits processor applies to replies.

No torch here, so the rules are tested on strings. Each rule answers one question for a
candidate token: may ``piece`` be appended to a text whose relevant tail is ``tail``?

- ``BracketRule``: the reply may hold only the bracketed texts it was given (citations such
  as ``[1]``, the ticket's own placeholders such as ``[ORDER_1]``, which are restored to the
  customer's data). Anything else that opens with ``[`` (``[Order Number]``, ``[NAME]``) is cut
  off at the first character that leaves every allowed text, and ``{`` and ``<`` (template
  slots ``{{Website}}``, tags) are never written. An open bracket cannot end the reply.
- ``LinkRule``: the reply may hold only the web addresses, domains and email addresses it was
  given (the knowledge base's, the shop's). A word that starts a web address (``http:``,
  ``https:``, ``www``) must stay a prefix of an allowed link; a word in which ``LINK`` finds a
  domain or an email address must find it inside an allowed link. ``LINK`` is the pattern of
  ``support.checks`` (the flags and the send guard), kept equal by a test.
"""

from __future__ import annotations

import re

#: What a link is (the same pattern as ``support.checks._LINK``; tests/ecomcms/test_reply_grounding.py).
LINK = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\bhttps?://[^\s<>\"')\]]+|\bwww\.[^\s<>\"')\]]+"
    r"|(?<![\w@./-])(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|uk|de|fr|nl|eu|shop|info|biz)\b(?:/[^\s<>\"')\]]*)?",
    re.IGNORECASE,
)
OPENERS = "[{<"
_URL_STARTS = ("http:", "https:", "www.")
_LEADING = "(\"'“‘*_"


class BracketRule:
    """Only the bracketed texts in ``allowed`` (each ``[...]``, no ``]`` inside) may be written."""

    def __init__(self, allowed):
        self.allowed = frozenset(a for a in allowed if a.startswith("[") and a.endswith("]") and "]" not in a[:-1])
        self.prefixes = frozenset(a[:i] for a in self.allowed for i in range(1, len(a) + 1))

    @staticmethod
    def tail(text: str) -> str:
        """The bracket still open at the end of ``text`` ("" if none)."""
        start = text.rfind("[")
        if start < 0 or "]" in text[start:] or "\n" in text[start:]:
            return ""
        return text[start:]

    def allows(self, tail: str, piece: str) -> bool:
        state = tail
        for char in piece:
            if state:
                state += char
                if state not in self.prefixes:
                    return False
                if char == "]":
                    state = ""
            elif char == "[":
                if "[" not in self.prefixes:
                    return False
                state = "["
            elif char in "{<":
                return False
        return True


def _core(word: str) -> str:
    return word.lstrip(_LEADING).lower()


class LinkRule:
    """Only links inside one of ``allowed`` (web addresses, domains, email addresses) may be written."""

    def __init__(self, allowed):
        self.allowed = tuple(sorted({a.strip().rstrip(".,;:").lower() for a in allowed if a and a.strip()}))
        bare = {re.sub(r"^(?:https?://)?(?:www\.)?", "", a) for a in self.allowed}
        #: Every allowed link as it may be written from its start: with or without the scheme and "www.".
        self.forms = tuple(sorted(set(self.allowed) | bare | {"www." + b for b in bare}
                                  | {s + b for b in bare for s in ("http://", "https://", "http://www.",
                                                                     "https://www.")}))

    @staticmethod
    def tail(text: str) -> str:
        """The word at the end of ``text`` (what a token without leading space continues)."""
        if not text or text[-1].isspace():
            return ""
        return text.split()[-1]

    def word_ok(self, word: str) -> bool:
        """Whether a word (complete or still being written) holds no link outside the allowed ones."""
        core = _core(word)
        if not core:
            return True
        if core.startswith("www") or any(core.startswith(s) or (len(core) >= 4 and s.startswith(core))
                                         for s in _URL_STARTS):
            if not any(form.startswith(core.rstrip(".,;:!?)")) for form in self.forms):
                return False
        for match in LINK.finditer(word):
            link = match.group().rstrip(".,;:").lower()
            if not any(link in a for a in self.allowed):
                return False
        return True

    def allows(self, tail: str, piece: str) -> bool:
        return all(self.word_ok(w) for w in (tail + piece).split())


def may_trigger(piece: str) -> bool:
    """Whether a token could start or complete a link or a bracket after a plain word ending (a prefilter:
    tokens for which this is False are judged only when the word before them is itself link-like)."""
    low = piece.lower()
    return any(c in piece for c in ".:/@[{<") or "www" in low or "http" in low or low.strip().startswith(("h", "w"))


def sensitive(tail: str) -> bool:
    """Whether tokens without ``may_trigger`` appended to this word could make it a link (it holds a dot,
    an "@", a colon or a slash, or it is the start of a web address: "h", "htt", "ww" ...)."""
    core = _core(tail)
    return bool(core) and (any(c in core for c in ".@:/") or core.startswith(("http", "www"))
                           or any(s.startswith(core) for s in ("https", "www")))
