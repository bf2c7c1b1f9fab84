"""E-mail through an SMTP server (a development relay, or a provider's submission port)."""
import smtplib
import ssl
from contextlib import suppress
from email.message import EmailMessage
from email.policy import default
from email.utils import formatdate, make_msgid, parseaddr

SECURITIES = ("starttls", "ssl", "none")
# 7bit: non-ASCII bodies go out as base64 or quoted-printable, which every server takes,
# instead of raw 8-bit that needs the server's 8BITMIME.
POLICY = default.clone(cte_type="7bit")


class SmtpError(Exception):
    """The server did not take the message. `permanent`: do not send it again — the
    server refused it with a 5xx reply. `code` is that reply's code, None when there
    was no reply (refused connection, timeout, TLS failure)."""

    def __init__(self, message, *, permanent, code=None, auth=False):
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        # The server refused our login (535 and kin, or no AUTH offered): the settings
        # are wrong, not the message.
        self.auth = auth


def send_message(*, host, port, sender, to, subject, text, html="", attachments=(),
                 username=None, password=None, security="starttls", timeout=10.0,
                 reply_to=None, message_id=None):
    """Send one message to `to` (one address, optionally with a display name) and return
    the Message-ID it was given: `message_id` ("<unique@domain>") when given — the same
    on every attempt at one message, so that a mailbox can tell a repeat — else a new
    one. `security`: "starttls" (port 587), "ssl" (port 465) or "none" (a local relay);
    the server's certificate is verified."""
    if security not in SECURITIES:
        raise ValueError(f"security must be one of {SECURITIES}, not {security!r}")
    message = build_message(sender=sender, to=to, subject=subject, text=text, html=html,
                            attachments=attachments, reply_to=reply_to,
                            message_id=message_id)
    try:
        smtp = _connect(host, port, security, timeout)
        try:
            _send(smtp, message, host, security, username, password)
        finally:
            smtp.close()
    except smtplib.SMTPAuthenticationError as error:
        raise _refused(host, error.smtp_code, error.smtp_error, auth=True) from error
    except smtplib.SMTPNotSupportedError as error:  # a username set, no AUTH offered
        raise SmtpError(f"SMTP server {host} does not accept a login: {error}",
                        permanent=True, auth=True) from error
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()))  # one recipient, one refusal
        raise _refused(host, code, reply) from error
    except smtplib.SMTPResponseException as error:  # to MAIL, DATA, AUTH, the greeting
        raise _refused(host, error.smtp_code, error.smtp_error) from error
    except (smtplib.SMTPException, OSError) as error:  # OSError: refused, timeout, TLS
        raise SmtpError(f"SMTP to {host}:{port} failed: {error}", permanent=False) from error
    return message["Message-ID"]


def build_message(*, sender, to, subject, text, html="", attachments=(), reply_to=None,
                  message_id=None):
    """The message as sent: plain text, with an HTML alternative when `html` is given,
    and the attachments."""
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    # The sender's domain rather than make_msgid's default, a lookup of this host's name.
    message["Message-ID"] = message_id or make_msgid(
        domain=parseaddr(sender)[1].rpartition("@")[2] or "localhost")
    if reply_to:
        message["Reply-To"] = reply_to
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for item in attachments:
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(item.content, maintype=maintype, subtype=subtype,
                               filename=item.filename)
    return message


def _connect(host, port, security, timeout):
    if security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(host, port, timeout=timeout)


def _send(smtp, message, host, security, username, password):
    if security == "starttls":
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            # Never fall back to plain text: the password and the message would go
            # over the wire readable.
            raise SmtpError(f"SMTP server {host} does not offer STARTTLS; use "
                            "security='ssl' or 'none' if that is intended", permanent=False)
        smtp.starttls(context=ssl.create_default_context())
    if username:
        smtp.login(username, password or "")
    smtp.send_message(message)
    # The message is accepted already: a failed goodbye must not make anyone resend it.
    with suppress(smtplib.SMTPException, OSError):
        smtp.quit()


# Authentication required (530), refused (535), too weak a mechanism (534), encryption
# required for it (538): whichever command they answer, the login settings are at fault.
AUTH_CODES = {530, 534, 535, 538}


def _refused(host, code, reply, auth=False):
    if isinstance(reply, bytes):
        reply = reply.decode(errors="replace")
    return SmtpError(f"SMTP server {host} answered {code} {reply}", code=code,
                     permanent=500 <= code < 600, auth=auth or code in AUTH_CODES)
