"""A real IMAP server for the inbound-email tests: Debian's dovecot, run by the tests themselves.

Its configuration, passwd file, Maildirs and sockets live in a temporary folder and it listens
on a free port of 127.0.0.1, so the tests depend on the ``dovecot-imapd`` package only (``.ci/run``
installs it), never on a system instance or its configuration.
"""

from __future__ import annotations

import imaplib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
ACCOUNTS = 100
MISSING = "dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)"

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """One dovecot process; ``new_account()`` gives each test an empty mailbox of its own."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="ecomcms-dovecot-"))
        self.root.chmod(0o755)  # the unprivileged login and mail processes must reach their sockets
        self.port, self.tls_port = _free_port(), _free_port()
        # A certificate for 127.0.0.1 that clients trust through SSL_CERT_FILE=self.cert (TLS and STARTTLS).
        self.cert = self.root / "cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                        str(self.root / "key.pem"), "-out", str(self.cert)], check=True, capture_output=True)
        (self.root / "home").mkdir()
        # Accounts are written before the start: dovecot may not notice a passwd file changed within a second.
        (self.root / "passwd").write_text("".join(f"shop{n}:{{PLAIN}}secret-shop{n}\n" for n in range(1, ACCOUNTS + 1)))
        if os.geteuid() == 0:  # dovecot refuses to serve mail or logins as root
            mail_user = pwd.getpwnam("dovecot")
            uid, gid, internal_user, login_user = mail_user.pw_uid, mail_user.pw_gid, "dovecot", "dovenull"
            internal_group = "dovecot"
            os.chown(self.root / "home", uid, gid)
        else:
            me = pwd.getpwuid(os.getuid())
            uid, gid, internal_user, login_user = me.pw_uid, me.pw_gid, me.pw_name, me.pw_name
            internal_group = str(gid)
        self.config = self.root / "dovecot.conf"
        self.config.write_text(_CONFIG.format(root=self.root, port=self.port, tls_port=self.tls_port, uid=uid, gid=gid,
                                              internal_user=internal_user, internal_group=internal_group,
                                              login_user=login_user))
        self._accounts = itertools.count(1)
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        log = self.log()
        self.stop()
        raise RuntimeError(f"dovecot did not start on port {self.port}:\n{log}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def new_account(self) -> Account:
        number = next(self._accounts)
        if number > ACCOUNTS:
            raise RuntimeError(f"only {ACCOUNTS} accounts per server")
        return Account(self, f"shop{number}", f"secret-shop{number}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class Account:
    """A mailbox on the server, seen from outside the code under test (delivering and inspecting by IMAP)."""

    def __init__(self, server: Dovecot, user: str, password: str):
        self.server, self.user, self.password = server, user, password

    def settings(self) -> dict:
        return {"SUPPORT_IMAP_HOST": "127.0.0.1", "SUPPORT_IMAP_PORT": self.server.port, "SUPPORT_IMAP_SSL": False,
                "SUPPORT_IMAP_USER": self.user, "SUPPORT_IMAP_PASSWORD": self.password}

    def env(self) -> dict:
        return {name: str(value).lower() if isinstance(value, bool) else str(value)
                for name, value in self.settings().items()}

    def _session(self, mailbox: str = "INBOX") -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.server.port, timeout=10)
        imap.login(self.user, self.password)
        imap.select(mailbox)
        return imap

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> int:
        """Put an email in the mailbox as a mail server's delivery would; returns its UID."""
        imap = self._session()
        try:
            kind, data = imap.append(mailbox, None, None, raw)
            assert kind == "OK", data
            return int(data[0].split(b"APPENDUID ")[1].split(b"]")[0].split()[1])
        finally:
            imap.logout()

    def flags(self, mailbox: str = "INBOX") -> dict[int, set[str]]:
        """UID -> flags of every email in ``mailbox`` (empty when the folder does not exist)."""
        imap = imaplib.IMAP4("127.0.0.1", self.server.port, timeout=10)
        imap.login(self.user, self.password)
        try:
            if imap.select(mailbox)[0] != "OK":
                return {}
            kind, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            found = {}
            for line in data:
                if not line:
                    continue
                text = line.decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                found[uid] = set(text.split("FLAGS (")[1].split(")")[0].split())
            return found
        finally:
            imap.logout()
