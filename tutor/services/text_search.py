"""Case-insensitive search in any alphabet, on both databases: every word of the
query must occur in one of the fields. The fields searched are stored folded already
(User.search_name holds the names lower-cased with ё read as е; login and e-mail are
stored lower-case), and the words are folded the same way here, so the database
compares stored text: no function call per row (SQLite's own LOWER() folds ASCII
only, and calling Python's per row took most of the search's time, bench/RESULTS.md)."""
from functools import reduce
from operator import and_, or_

from peewee import OP, SQL, Expression, NodeList, Value

from tutor.database import backend
from tutor.extensions import db
from tutor.models import User, folded

# What a student is found by: the folded names, the login and the e-mail.
STUDENT_FIELDS = (User.search_name, User.login, User.email)


def words_match(text, fields=STUDENT_FIELDS):
    """Each word of `text` occurs (any case; ё and е alike) in one of `fields`, which
    hold folded text; None for no words."""
    words = folded(text).split()
    if not words:
        return None
    return reduce(and_, [reduce(or_, [contains(f, word) for f in fields]) for word in words])


def contains(field, text):
    """`field` LIKE '%text%' with LIKE's wildcards in `text` taken literally: peewee's
    contains() is ILIKE on PostgreSQL, which folds every row again (its OP.LIKE is
    GLOB on SQLite, whose LIKE folds ASCII only, which folded text does not mind)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    operator = OP.ILIKE if backend(db.database) == "sqlite" else OP.LIKE
    return Expression(field, operator, NodeList((Value(f"%{escaped}%", converter=False),
                                                 SQL("ESCAPE"), Value("\\"))))
