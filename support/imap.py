"""The support mailbox over IMAP: list the emails not taken in yet, read one, mark it done, copy it to quarantine.

Standard-library ``imaplib``, addressed by UID. Nothing here deletes or expunges: an email
leaves the "to do" list only when it is marked done (``\\Seen`` and the ``$EcomcmsDone``
keyword), which the caller does after the ticket is committed. A server that does not keep
custom keywords gets ``\\Seen`` only, and unseen emails are the to-do list.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass

DONE_KEYWORD = "$EcomcmsDone"

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mail server could not be reached, refused the login or a command: nothing was changed; try later."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    use_ssl: bool = True
    starttls: bool = False
    quarantine: str = "Quarantine"
    timeout: float = 30.0


@dataclass(frozen=True)
class Fetched:
    raw: bytes
    size: int
    truncated: bool  # only the first ``max_bytes`` were read


def _check(response, what: str):
    kind, data = response
    if kind != "OK":
        raise MailboxError(f"{what}: the server answered {kind} {data!r}")
    return data


class Mailbox:
    """One session with the mailbox: ``with Mailbox(settings) as box: ...``."""

    def __init__(self, settings: MailboxSettings):
        self.settings = settings
        self.uidvalidity: int | None = None
        self.keywords = True
        self._imap: imaplib.IMAP4 | None = None

    def __enter__(self) -> Mailbox:
        s = self.settings
        try:
            if s.use_ssl:
                self._imap = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=ssl.create_default_context(),
                                               timeout=s.timeout)
            else:
                self._imap = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
                if s.starttls:
                    self._imap.starttls(ssl_context=ssl.create_default_context())
            self._imap.login(s.user, s.password)
            _check(self._imap.select(self._quoted(s.mailbox)), f"select {s.mailbox}")
            validity = self._imap.response("UIDVALIDITY")[1]
            self.uidvalidity = int(validity[0]) if validity and validity[0] else None
            flags = self._imap.response("PERMANENTFLAGS")[1]
            self.keywords = bool(flags and flags[0] and b"\\*" in flags[0])
        except (TimeoutError, imaplib.IMAP4.error, OSError, ValueError) as exc:
            self._close()
            raise MailboxError(f"{s.host}:{s.port} mailbox {s.mailbox!r}: {exc}") from exc
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()

    def _close(self) -> None:
        if self._imap is not None:
            try:
                self._imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            self._imap = None

    @staticmethod
    def _quoted(name: str) -> str:
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def _uid(self, command: str, *args, what: str):
        try:
            return _check(self._imap.uid(command, *args), what)
        except (TimeoutError, imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"{what}: {exc}") from exc

    def pending(self, limit: int) -> list[int]:
        """UIDs of the emails not marked done yet, oldest first, at most ``limit``."""
        criteria = ("UNKEYWORD", DONE_KEYWORD) if self.keywords else ("UNSEEN",)
        data = self._uid("SEARCH", *criteria, what="search")
        uids = sorted(int(uid) for uid in (data[0] or b"").split())
        return uids[:limit]

    def fetch(self, uid: int, *, max_bytes: int) -> Fetched | None:
        """The email (its first ``max_bytes`` when larger), without marking it seen; None if it is gone."""
        data = self._uid("FETCH", str(uid), f"(RFC822.SIZE BODY.PEEK[]<0.{max_bytes}>)", what=f"fetch {uid}")
        raw, size = None, None
        for item in data:
            if isinstance(item, tuple):
                envelope, literal = item
                raw = literal
                match = _SIZE.search(envelope)
            elif isinstance(item, bytes):
                match = _SIZE.search(item)
            else:
                continue
            if match:
                size = int(match.group(1))
        if raw is None:
            return None
        size = size if size is not None else len(raw)
        return Fetched(raw=raw, size=size, truncated=size > len(raw))

    def mark_done(self, uid: int) -> None:
        """Take the email off the to-do list; call only once what it became is committed."""
        flags = f"(\\Seen {DONE_KEYWORD})" if self.keywords else "(\\Seen)"
        self._uid("STORE", str(uid), "+FLAGS", flags, what=f"mark {uid} done")

    def quarantine(self, uid: int) -> str:
        """Copy the email to the quarantine folder (created when missing); the original stays where it is."""
        folder = self.settings.quarantine
        try:
            self._imap.create(self._quoted(folder))  # "already exists" is a NO: fine
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"create {folder!r}: {exc}") from exc
        self._uid("COPY", str(uid), self._quoted(folder), what=f"copy {uid} to {folder}")
        return folder
