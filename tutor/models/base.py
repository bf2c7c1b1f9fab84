"""What every model shares: the base class, naive UTC "now", and the control
characters no stored text keeps."""
import re
from datetime import datetime, timezone

from tutor.extensions import db


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BaseModel(db.Model):
    pass



# Typed control characters besides tab and line breaks: never meant, and PostgreSQL
# refuses NUL in text. Every form takes them out of what is posted (forms.FlaskForm).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
