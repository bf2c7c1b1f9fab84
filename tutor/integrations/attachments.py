"""A file attached to an e-mail, shared by the Mailgun and SMTP senders."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
