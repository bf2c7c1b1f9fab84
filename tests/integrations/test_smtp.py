"""The SMTP sender against a real SMTP server (aiosmtpd) on 127.0.0.1."""
import email
import socket
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tutor.integrations.attachments import Attachment
from tutor.integrations.smtp import SmtpError, send_message

SENDER = "Репетитор <noreply@tutor.example.com>"


class LocalController(Controller):
    """aiosmtpd's Controller on a port the system picks: 1.4 would knock on port 0."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Recorder:
    """Takes every message, unless told which reply to give to MAIL, RCPT or DATA."""

    def __init__(self, mail=None, rcpt=None, data=None):
        self.replies = {"MAIL": mail, "RCPT": rcpt, "DATA": data}
        self.envelopes = []
        self.logins = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        return self.replies["MAIL"] or "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return self.replies["RCPT"] or "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.replies["DATA"]:
            return self.replies["DATA"]
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append(auth_data)
        # handled=False: aiosmtpd itself answers a failure (535).
        return AuthResult(success=auth_data == LoginPassword(b"tutor", b"s3cret-pass"),
                          handled=False)


@pytest.fixture
def start_server():
    """Start an SMTP server on 127.0.0.1 with `handler`; returns its port."""
    controllers = []

    def start(handler, **smtp_options):
        controller = LocalController(handler, hostname="127.0.0.1", port=0,
                                     server_hostname="smtp.test", **smtp_options)
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def port(start_server, recorder):
    return start_server(recorder)


@pytest.fixture
def silent_port():
    # Listening but never accepting: the connection opens, and the greeting never comes.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def send(port, **overrides):
    message = {"host": "127.0.0.1", "port": port, "security": "none", "sender": SENDER,
               "to": "Мария Петрова <maria@example.com>",
               "subject": "Занятие 1 июня подтверждено",
               "text": "Здравствуйте, Мария!\n\nЗанятие в понедельник, 1 июня, в 13:00.\n",
               **overrides}
    return send_message(**message)


def received(recorder):
    """The one message the server got, parsed."""
    assert len(recorder.envelopes) == 1
    return email.message_from_bytes(recorder.envelopes[0].content, policy=default)


def test_sends_a_plain_text_message(port, recorder):
    message_id = send(port)

    envelope = recorder.envelopes[0]
    assert (envelope.mail_from, envelope.rcpt_tos) == ("noreply@tutor.example.com",
                                                      ["maria@example.com"])
    # Cyrillic headers and body travel as 7-bit text (encoded words, base64 or QP).
    envelope.content.decode("ascii")
    message = received(recorder)
    assert message["From"] == SENDER
    assert message["To"] == "Мария Петрова <maria@example.com>"
    assert message["Subject"] == "Занятие 1 июня подтверждено"
    assert message["Date"]
    assert message["Message-ID"] == message_id
    assert message_id.startswith("<") and message_id.endswith("@tutor.example.com>")
    assert message["Reply-To"] is None
    assert not message.is_multipart()
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == ("Здравствуйте, Мария!\n\n"
                                     "Занятие в понедельник, 1 июня, в 13:00.\n")


def test_html_is_an_alternative_to_the_text(port, recorder):
    send(port, html="<p>Здравствуйте, <b>Мария</b>!</p>\n",
         reply_to="Анна Сергеевна <anna@example.com>")

    message = received(recorder)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Reply-To"] == "Анна Сергеевна <anna@example.com>"
    assert message.get_body(("plain",)).get_content().startswith("Здравствуйте, Мария!")
    assert message.get_body(("html",)).get_content() == "<p>Здравствуйте, <b>Мария</b>!</p>\n"


def test_attachments_follow_the_bodies(port, recorder):
    pdf = b"%PDF-1.7\n\x00\xff\xfe binary"
    csv = "дата;ученик\r\n01.06.2026;Мария\r\n".encode()
    send(port, html="<p>Отчёт во вложении.</p>\n", attachments=[
        Attachment("Отчёт за май.pdf", pdf, "application/pdf"),
        Attachment("lessons.csv", csv, "text/csv"),
        Attachment("backup.bin", b"\x00\x01"),
    ])

    message = received(recorder)
    assert message.get_content_type() == "multipart/mixed"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "multipart/alternative", "application/pdf", "text/csv", "application/octet-stream"]
    assert message.get_body(("html",)).get_content() == "<p>Отчёт во вложении.</p>\n"
    assert [(part.get_filename(), part.get_payload(decode=True))
            for part in message.iter_attachments()] == [
        ("Отчёт за май.pdf", pdf), ("lessons.csv", csv), ("backup.bin", b"\x00\x01")]


def test_logs_in_with_the_credentials(start_server, recorder):
    port = start_server(recorder, auth_require_tls=False, authenticator=recorder.authenticate)

    send(port, username="tutor", password="s3cret-pass")

    assert recorder.logins == [LoginPassword(b"tutor", b"s3cret-pass")]
    assert len(recorder.envelopes) == 1


def test_wrong_credentials_are_refused(start_server, recorder):
    port = start_server(recorder, auth_require_tls=False, authenticator=recorder.authenticate)

    with pytest.raises(SmtpError) as caught:
        send(port, username="tutor", password="wrong")

    assert (caught.value.code, caught.value.permanent) == (535, True)
    assert recorder.envelopes == []


@pytest.mark.parametrize("replies, code, permanent", [
    ({"rcpt": "550 5.1.1 <maria@example.com>: Recipient address rejected: User unknown"},
     550, True),
    ({"rcpt": "553 5.1.3 Invalid recipient address"}, 553, True),
    ({"rcpt": "450 4.2.0 <maria@example.com>: Mailbox busy"}, 450, False),
    ({"rcpt": "452 4.5.3 Too many recipients, try later"}, 452, False),
    ({"data": "554 5.7.1 Message rejected as spam"}, 554, True),
    ({"data": "451 4.3.0 Temporary local problem, try again later"}, 451, False),
    ({"mail": "553 5.7.1 Sender address not owned by user"}, 553, True),
    ({"mail": "421 4.7.0 Too many connections, try again later"}, 421, False),
])
def test_refusals_say_whether_to_retry(start_server, replies, code, permanent):
    port = start_server(Recorder(**replies))

    with pytest.raises(SmtpError) as caught:
        send(port)

    assert (caught.value.code, caught.value.permanent) == (code, permanent)
    assert str(code) in str(caught.value)


def test_starttls_is_required_when_asked_for(start_server, recorder):
    port = start_server(recorder, auth_require_tls=False, authenticator=recorder.authenticate)

    with pytest.raises(SmtpError) as caught:
        send(port, security="starttls", username="tutor", password="s3cret-pass")

    assert caught.value.permanent is False and caught.value.code is None
    assert "does not offer STARTTLS" in str(caught.value)
    # Neither the password nor the message went out in plain text.
    assert recorder.logins == [] and recorder.envelopes == []


def test_ssl_against_a_plain_server_fails_for_now(port, recorder):
    with pytest.raises(SmtpError) as caught:
        send(port, security="ssl", timeout=2)

    assert caught.value.permanent is False and caught.value.code is None
    assert recorder.envelopes == []


def test_refused_connection_is_worth_retrying(closed_port):
    with pytest.raises(SmtpError) as caught:
        send(closed_port)

    assert caught.value.permanent is False and caught.value.code is None


def test_silent_server_times_out(silent_port):
    with pytest.raises(SmtpError) as caught:
        send(silent_port, timeout=0.2)

    assert caught.value.permanent is False and caught.value.code is None


def test_unknown_security_is_a_programming_error():
    with pytest.raises(ValueError):
        send(25, security="tls")
