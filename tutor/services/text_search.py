"""Case-insensitive search in any alphabet, on both databases: every word of the
query must occur in one of the fields. SQLite's own LOWER() and LIKE fold ASCII only,
so on SQLite both sides go through Python's str.lower (the function tutor.database
registers on every connection it opens); PostgreSQL's LOWER() folds Cyrillic (a UTF-8
LC_CTYPE)."""
from functools import reduce
from operator import and_, or_

from peewee import fn

from tutor.database import SQLITE_LOWER, backend
from tutor.extensions import db
from tutor.models import User


def fold(expression):
    """`expression` lower-cased by the database, Cyrillic included."""
    if backend(db.database) == "sqlite":
        return getattr(fn, SQLITE_LOWER)(expression)
    return fn.LOWER(expression)


# Stored lower-case already: matched as they are, without a Python call per row on
# SQLite (bench/load.py measured the student search spending most of its time there).
LOWER_CASE_FIELDS = (User.login, User.email)


def words_match(text, fields):
    """Each word of `text` occurs (any case) in one of `fields`; None for no words.
    The fields that need folding are folded together, joined by a space (a word has
    none), so SQLite calls Python once per row, not once per field."""
    words = (text or "").lower().split()
    if not words:
        return None
    plain = [f for f in fields if any(f is lower for lower in LOWER_CASE_FIELDS)]
    mixed = [f for f in fields if not any(f is lower for lower in LOWER_CASE_FIELDS)]
    searched = plain + ([fold(reduce(lambda a, b: a.concat(" ").concat(b), mixed))]
                        if mixed else [])
    return reduce(and_, [reduce(or_, [f.contains(word) for f in searched]) for word in words])
