"""This product's Celery app with one fault: the worker dies the moment it would mark an email done.

``celery -A tests.support.imap_crash_app worker`` (tests/support/test_mailbox.py): the poll commits
the ticket, then, instead of flagging the email on the IMAP server, SIGKILLs the worker's whole
process group (the main process and its pool), as a power cut or the OOM killer would.
"""

import os
import signal

from ecomcms.celery import app  # noqa: F401 (what `celery -A` looks for)
from support.imap import Mailbox


def _die_before_marking_done(self, uid):
    os.killpg(os.getpgrp(), signal.SIGKILL)


Mailbox.mark_done = _die_before_marking_done
