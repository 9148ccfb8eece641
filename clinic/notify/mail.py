"""SMTP settings from the environment, the message format, and sending with one sentence a failure.

Settings (README, "Configuration"): CLINIC_SMTP_HOST (unset: no mail is sent), CLINIC_SMTP_PORT
(587), CLINIC_SMTP_TLS (`starttls`, `tls` for a server that speaks TLS from the first byte, or
`none` for a relay on the same machine), CLINIC_SMTP_USER, CLINIC_SMTP_PASSWORD or
CLINIC_SMTP_PASSWORD_FILE (a secret file, read at each send), CLINIC_SMTP_CA_FILE (a private
certificate authority to trust), CLINIC_SMTP_TIMEOUT (30 s), CLINIC_MAIL_FROM, and for what the
mails say: CLINIC_NAME and CLINIC_DASHBOARD_URL.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

TLS_MODES = ("starttls", "tls", "none")


class MailError(RuntimeError):
    """Mail could not be sent; the message is a sentence that says why and what to check."""


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send: the SMTP server, its security, the login and the sender."""

    host: str
    port: int = 587
    tls: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    password_file: Path | None = None
    ca_file: Path | None = None
    timeout: float = 30.0
    sender: str = "clinic-dashboard@localhost"

    def secret(self) -> str | None:
        """The password: the variable, else the secret file (read now, so a rotation applies)."""
        if self.password:
            return self.password
        if self.password_file is None:
            return None
        try:
            return self.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MailError(
                f"The mail password file {self.password_file} could not be read "
                f"({exc.strerror}): check CLINIC_SMTP_PASSWORD_FILE."
            ) from None


def settings(env: Mapping[str, str] | None = None) -> MailSettings | None:
    """The SMTP settings from the environment, or None when CLINIC_SMTP_HOST is not set."""
    env = os.environ if env is None else env
    host = (env.get("CLINIC_SMTP_HOST") or "").strip()
    if not host:
        return None
    tls = (env.get("CLINIC_SMTP_TLS") or "starttls").strip().lower()
    if tls not in TLS_MODES:
        raise MailError(f"CLINIC_SMTP_TLS must be one of {', '.join(TLS_MODES)}; it is {tls!r}.")
    port_text = (env.get("CLINIC_SMTP_PORT") or ("465" if tls == "tls" else "587")).strip()
    timeout_text = (env.get("CLINIC_SMTP_TIMEOUT") or "30").strip()
    try:
        port, timeout = int(port_text), float(timeout_text)
    except ValueError:
        raise MailError(
            f"CLINIC_SMTP_PORT ({port_text!r}) and CLINIC_SMTP_TIMEOUT ({timeout_text!r}) must "
            "be numbers."
        ) from None
    password_file = env.get("CLINIC_SMTP_PASSWORD_FILE")
    ca_file = env.get("CLINIC_SMTP_CA_FILE")
    return MailSettings(
        host=host,
        port=port,
        tls=tls,
        user=env.get("CLINIC_SMTP_USER") or None,
        password=env.get("CLINIC_SMTP_PASSWORD") or None,
        password_file=Path(password_file) if password_file else None,
        ca_file=Path(ca_file) if ca_file else None,
        timeout=timeout,
        sender=env.get("CLINIC_MAIL_FROM") or "clinic-dashboard@localhost",
    )


def clinic_name() -> str:
    """The clinic's name as mails and the pack print it (env CLINIC_NAME)."""
    return os.environ.get("CLINIC_NAME") or "Vein clinic"


def dashboard_url() -> str:
    """The dashboard's address, for the links in mails (env CLINIC_DASHBOARD_URL)."""
    return (os.environ.get("CLINIC_DASHBOARD_URL") or "http://localhost:8501").rstrip("/")


def compose(
    *,
    subject: str,
    sender: str,
    to: Sequence[str],
    text: str,
    html: str | None = None,
    images: Mapping[str, bytes] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    """A message: plain text, an HTML alternative whose `cid:NAME` images travel inline, files.

    `images` maps each Content-ID the HTML names (without brackets) to PNG bytes; `attachments`
    are (file name, MIME type, bytes).
    """
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[1]
        for cid, png in (images or {}).items():
            html_part.add_related(
                png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png"
            )
    for name, mime, data in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


@dataclass(frozen=True)
class Sent:
    """What the server took: the recipients it accepted and those it refused, with its reply."""

    accepted: tuple[str, ...]
    refused: dict[str, str]


def _context(s: MailSettings) -> ssl.SSLContext:
    """The TLS context: the system's authorities, plus the private one of CLINIC_SMTP_CA_FILE."""
    context = ssl.create_default_context()
    if s.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(s.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise MailError(
                f"The certificate authority file {s.ca_file} could not be read ({exc}): check "
                "CLINIC_SMTP_CA_FILE."
            ) from None
    return context


def _reply(code: int, text: bytes | str) -> str:
    """An SMTP reply as one line: `550 mailbox unavailable`."""
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"


def send(message: EmailMessage, recipients: Sequence[str], s: MailSettings) -> Sent:
    """Send one message to `recipients` (the envelope; headers may name fewer); say each failure.

    Raises MailError with a sentence when the server cannot be reached, the secure connection
    or the login fails, or every recipient is refused; a partial refusal is in the answer.
    """
    if not recipients:
        raise MailError("There is nobody to send this to.")
    where = f"{s.host}:{s.port}"
    password = s.secret() if s.user else None
    step = "connect"
    try:
        if s.tls == "tls":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=_context(s)
            )
        else:
            server = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with server:
            if s.tls == "starttls":
                step = "starttls"
                server.starttls(context=_context(s))
            if s.user:
                step = "login"
                server.login(s.user, password or "")
            step = "send"
            refused = server.send_message(message, from_addr=s.sender, to_addrs=list(recipients))
    except ConnectionRefusedError:
        raise MailError(
            f"The mail server {where} refused the connection: check CLINIC_SMTP_HOST and "
            "CLINIC_SMTP_PORT, and that the server is running."
        ) from None
    except socket.gaierror:
        raise MailError(
            f"The mail server's name {s.host!r} could not be found: check CLINIC_SMTP_HOST."
        ) from None
    except TimeoutError:
        raise MailError(
            f"The mail server {where} did not answer within {s.timeout:g} seconds: check the "
            "address, the port and any firewall between."
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise MailError(
            f"The secure connection to the mail server {where} failed: its certificate is not "
            f"trusted ({exc.verify_message}). If the server uses a private certificate, set "
            "CLINIC_SMTP_CA_FILE to the authority that signed it."
        ) from None
    except smtplib.SMTPNotSupportedError:
        if step == "login":
            raise MailError(
                f"The mail server {where} offers no login on this connection (servers offer it "
                "after STARTTLS): set CLINIC_SMTP_TLS to starttls or tls, or leave "
                "CLINIC_SMTP_USER unset for a server that needs no login."
            ) from None
        raise MailError(
            f"The mail server {where} does not offer STARTTLS: set CLINIC_SMTP_TLS to tls for "
            "a server that speaks TLS from the start (usually port 465)."
        ) from None
    except ssl.SSLError as exc:
        raise MailError(
            f"The secure connection to the mail server {where} failed ({exc}): check "
            "CLINIC_SMTP_TLS (starttls on port 587, tls on port 465) and the server's TLS set-up."
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"The mail server {where} refused the login of {s.user!r} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}): check CLINIC_SMTP_USER and the password."
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(
            f"The mail server {where} refused the sender {exc.sender!r} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}): check CLINIC_MAIL_FROM, and whether "
            "the server wants a login (CLINIC_SMTP_USER) or STARTTLS first."
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        said = "; ".join(f"{who} ({_reply(*why)})" for who, why in exc.recipients.items())
        raise MailError(f"The mail server {where} refused every recipient: {said}.") from None
    except smtplib.SMTPServerDisconnected:
        raise MailError(
            f"The mail server {where} closed the connection before the message was sent: check "
            "CLINIC_SMTP_TLS (a server on port 465 wants tls) and the server's log."
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"The message could not be sent through {where}: {exc}.") from None
    said = {who: _reply(*why) for who, why in refused.items()}
    return Sent(tuple(r for r in recipients if r not in said), said)
