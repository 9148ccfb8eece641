"""Sending through real SMTP servers on loopback: STARTTLS, login, and a sentence per failure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from clinic.notify import mail
from tests.unit import notify_support as ns


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1."""
    return ns.make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def plain() -> Iterator[ns.Smtp]:
    """A server without TLS or login."""
    yield from ns.serve()


@pytest.fixture
def secure(cert) -> Iterator[ns.Smtp]:
    """A server that requires STARTTLS, then a login (user / secret)."""
    yield from ns.serve(cert=cert)


def _message(to: list[str]):
    """A small message with an inline image and a PDF attached."""
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
    )
    return mail.compose(
        subject="Figures £ – Jan 2026",
        sender="dashboard@clinic.test",
        to=to,
        text="plain",
        html='<p>chart</p><img src="cid:chart@clinic">',
        images={"chart@clinic": png},
        attachments=[("pack.pdf", "application/pdf", b"%PDF-1.7 test")],
    )


def test_starttls_and_login_deliver_the_message(secure, tmp_path) -> None:
    """STARTTLS verified against the private authority, the password from a secret file."""
    secret = tmp_path / "smtp-password"
    secret.write_text("secret\n", encoding="utf-8")
    s = replace(secure.settings, user="user", password_file=secret, ca_file=secure.cert)
    sent = mail.send(_message(["a@clinic.test"]), ["a@clinic.test"], s)
    assert sent.accepted == ("a@clinic.test",) and not sent.refused
    got = secure.messages[0]
    assert got["Subject"] == "Figures £ – Jan 2026"
    types = [p.get_content_type() for p in got.walk()]
    assert types == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related",
        "text/html", "image/png", "application/pdf",
    ]  # fmt: skip
    image = next(p for p in got.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<chart@clinic>"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"password": "wrong"}, "refused the login of 'user' (535"),
        ({"ca_file": None}, "its certificate is not trusted"),
        ({"tls": "none"}, "offers no login on this connection (servers offer it after STARTTLS)"),
        ({"tls": "none", "user": None}, "refused the sender 'dashboard@clinic.test' (530"),
        ({"tls": "tls"}, "The secure connection to the mail server"),
    ],
    ids=[
        "bad login",
        "untrusted certificate",
        "login without starttls",
        "no starttls",
        "tls on a starttls port",
    ],
)
def test_each_failure_is_a_sentence(secure, change: dict, said: str) -> None:
    """A wrong password, an untrusted certificate, a missing STARTTLS: what failed and why."""
    good = {"user": "user", "password": "secret", "ca_file": secure.cert}
    s = replace(secure.settings, **{**good, **change})
    with pytest.raises(mail.MailError) as caught:
        mail.send(_message(["a@clinic.test"]), ["a@clinic.test"], s)
    assert said in str(caught.value)
    assert not secure.messages


def test_a_refused_connection_names_the_server_and_the_settings() -> None:
    """Nothing listens on the port: the sentence says where and which settings to check."""
    port = ns.free_port()
    s = mail.MailSettings(host="127.0.0.1", port=port, tls="none", timeout=5)
    with pytest.raises(mail.MailError) as caught:
        mail.send(_message(["a@clinic.test"]), ["a@clinic.test"], s)
    assert str(caught.value) == (
        f"The mail server 127.0.0.1:{port} refused the connection: check CLINIC_SMTP_HOST and "
        "CLINIC_SMTP_PORT, and that the server is running."
    )


def test_refused_recipients_are_named(plain) -> None:
    """One refused recipient of two is in the answer; all refused is an error naming them."""
    both = ["a@clinic.test", "refuse-me@clinic.test"]
    sent = mail.send(_message(both), both, plain.settings)
    assert sent.accepted == ("a@clinic.test",)
    assert sent.refused == {"refuse-me@clinic.test": "550 5.1.1 mailbox unavailable"}
    with pytest.raises(mail.MailError) as caught:
        mail.send(_message(["refuse@clinic.test"]), ["refuse@clinic.test"], plain.settings)
    assert "refused every recipient: refuse@clinic.test (550 5.1.1 mailbox unavailable)" in str(
        caught.value
    )


def test_settings_come_from_the_environment(tmp_path) -> None:
    """No host: no mail. Defaults: port 587 with STARTTLS, 465 with tls; bad values said."""
    assert mail.settings({}) is None
    s = mail.settings({"CLINIC_SMTP_HOST": "smtp.clinic.test", "CLINIC_SMTP_USER": "u"})
    assert (s.port, s.tls, s.user, s.password) == (587, "starttls", "u", None)
    assert mail.settings({"CLINIC_SMTP_HOST": "h", "CLINIC_SMTP_TLS": "tls"}).port == 465
    with pytest.raises(mail.MailError, match="CLINIC_SMTP_TLS must be one of"):
        mail.settings({"CLINIC_SMTP_HOST": "h", "CLINIC_SMTP_TLS": "ssl3"})
    with pytest.raises(mail.MailError, match="must be numbers"):
        mail.settings({"CLINIC_SMTP_HOST": "h", "CLINIC_SMTP_PORT": "smtp"})
    missing = mail.settings(
        {"CLINIC_SMTP_HOST": "h", "CLINIC_SMTP_PASSWORD_FILE": str(tmp_path / "none")}
    )
    with pytest.raises(mail.MailError, match="password file .* could not be read"):
        missing.secret()
    shown = repr(mail.settings({"CLINIC_SMTP_HOST": "h", "CLINIC_SMTP_PASSWORD": "pw-9x"}))
    assert "pw-9x" not in shown  # a settings object printed in a log never shows the password
