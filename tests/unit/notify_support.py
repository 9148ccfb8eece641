"""Shared pieces of the notify tests: a loopback SMTP server and a realistic store to mail from."""

from __future__ import annotations

import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from aiosmtpd.smtp import AuthResult, LoginPassword

from clinic import auth, demo
from clinic.ingest import import_file
from clinic.notify import mail
from clinic.store import Store

AS_OF = date(2026, 11, 30)  # a Monday: the week digest covers 23/11 to 29/11/2026
SESSIONS = 3000
PASSWORD = "correct horse battery staple 42"
# (name, role, e-mail, disabled): two managers, one of each other role, and two that must
# never receive anything (disabled; no address).
ACCOUNTS = (
    ("mia", "manager", "mia@clinic.test", False),
    ("max", "manager", "max@clinic.test", False),
    ("sam", "staff", "sam@clinic.test", False),
    ("aud", "auditor", "aud@clinic.test", False),
    ("ada", "admin", "ada@clinic.test", False),
    ("old", "manager", "old@clinic.test", True),
    ("nomail", "manager", None, False),
)


def free_port() -> int:
    """A TCP port free on loopback now (aiosmtpd 1.4.6 cannot take port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collect(Message):
    """Keeps each received message; refuses any recipient whose address contains `refuse`."""

    def __init__(self) -> None:
        """Messages parsed with the modern e-mail policy."""
        super().__init__(message_class=lambda: EmailMessage(policy=email.policy.default))
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        """Refuse the addresses a test marks, as a real server refuses an unknown mailbox."""
        if "refuse" in address:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message: EmailMessage) -> None:
        """Keep the message (aiosmtpd adds X-Peer, X-MailFrom and X-RcptTo)."""
        self.messages.append(message)


@dataclass
class Smtp:
    """A running loopback SMTP server, what it received, and settings that reach it."""

    controller: Controller
    handler: Collect
    settings: mail.MailSettings
    cert: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far."""
        return self.handler.messages


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Accept user/secret only; handled=False lets the server answer 535 to a wrong password."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"user",
        b"secret",
    )
    return AuthResult(success=ok, handled=False)


def serve(*, cert: tuple[Path, Path] | None = None) -> Iterator[Smtp]:
    """Run a loopback SMTP server (with a certificate: STARTTLS and a login are required)."""
    handler = Collect()
    options: dict = {}
    if cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        options = {
            "tls_context": context,
            "require_starttls": True,
            "authenticator": _authenticator,
            "auth_required": True,
        }
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    ctl.start()
    settings = mail.MailSettings(
        host="127.0.0.1",
        port=ctl.port,
        tls="starttls" if cert else "none",
        sender="dashboard@clinic.test",
        timeout=10,
    )
    try:
        yield Smtp(ctl, handler, settings, cert[0] if cert else None)
    finally:
        ctl.stop()


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl, in the base image)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def build_store(folder: Path) -> tuple[Path, dict[str, Path]]:
    """A closed store of two synthetic years to AS_OF, imported from vendor exports, with accounts.

    The exports are kept: they hold the names, e-mails and client ids that must never reach a
    mail or the pack.
    """
    exports = demo.generate_exports(folder / "exports", SESSIONS, 7, end=AS_OF)
    store = Store(folder / "clinic.duckdb")
    for kind in ("prices", "appointments", "side-effects"):
        result = import_file(store, kind, exports[kind], file_name=exports[kind].name, user="demo")
        assert result.status == "committed", result.errors[:3]
    for name, role, address, disabled in ACCOUNTS:
        auth.add_user(store, name, role, PASSWORD, address)
        if disabled:
            auth.disable_user(store, name)
    store.close()
    return folder / "clinic.duckdb", exports


def copy_store(template: Path, target_dir: Path) -> Path:
    """A private copy of a closed store and the key, audit key and anchor beside it."""
    for path in template.parent.glob(template.name + "*"):
        shutil.copy2(path, target_dir / path.name)
    return target_dir / template.name


def identifying_values(exports: dict[str, Path], store: Store) -> set[str]:
    """Values that identify a patient: names, e-mails and client ids of the exports, the store's
    pseudonymous references, and the free-text notes of the reports."""
    appts = pd.read_csv(exports["appointments"], dtype=str)
    effects = pd.read_csv(exports["side-effects"], dtype=str)
    values = set(appts["Client Name"]) | set(appts["Email"]) | set(appts["Customer ID"])
    values |= {r[0] for r in store.rows("select distinct patient_ref from appointments")}
    values |= {n for n in effects["Notes"].dropna() if len(n) >= 12}
    return {v for v in values if isinstance(v, str) and v.strip()}


def text_of(msg: EmailMessage) -> str:
    """Every header and every text part of a message, decoded."""
    parts = [f"{k}: {v}" for k, v in msg.items()]
    parts += [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
    return "\n".join(parts)


def set_import_time(store: Store, kind: str, when: str) -> None:
    """Move the last import of a kind to another moment (the tests' clock is not AS_OF's)."""
    with store.writer(data=False) as cur:
        cur.execute(
            "update imports set started_at = $t::timestamp, finished_at = $t::timestamp"
            " where import_id = (select max(import_id) from imports where kind = $k)",
            {"t": when, "k": kind},
        )


def mail_env(monkeypatch, port: int) -> None:
    """Point the environment's mail settings at a plain SMTP server on loopback."""
    monkeypatch.setenv("CLINIC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CLINIC_SMTP_PORT", str(port))
    monkeypatch.setenv("CLINIC_SMTP_TLS", "none")
    monkeypatch.setenv("CLINIC_SMTP_TIMEOUT", "10")
    monkeypatch.setenv("CLINIC_MAIL_FROM", "dashboard@clinic.test")
    for name in ("CLINIC_SMTP_USER", "CLINIC_SMTP_PASSWORD", "CLINIC_SMTP_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
