"""Case-insensitive search in any alphabet, on both databases: every word of the
query must occur in one of the fields. The fields searched are stored folded already
(User.search_name holds the names lower-cased with ё read as е; login and e-mail are
stored lower-case), and the words are folded the same way here, so the database
compares stored text: no function call per row (SQLite's own LOWER() folds ASCII
only, and calling Python's per row took most of the search's time, bench/RESULTS.md).

A word is found anywhere inside a field ("б" finds Глеб), which no B-tree serves; a
trigram index does, for words of three characters or more (migration 0033). On
PostgreSQL that is pg_trgm's index, which the planner uses for the LIKE below by
itself. On SQLite it is the FTS5 table user_search, which a query has to name: such
words are looked up there, the shorter ones compared row by row."""
from functools import reduce
from operator import and_, or_

from peewee import OP, SQL, Expression, NodeList, Value

from tutor.database import backend
from tutor.extensions import db
from tutor.models import User, folded

# What a student is found by: the folded names, the login and the e-mail.
STUDENT_FIELDS = (User.search_name, User.login, User.email)
# The shortest word a trigram index finds, and the fields user_search holds.
TRIGRAM = 3
TRIGRAM_FIELDS = {User.search_name.name, User.login.name, User.email.name}


def words_match(text, fields=STUDENT_FIELDS):
    """Each word of `text` occurs (any case; ё and е alike) in one of `fields`, which
    hold folded text; None for no words."""
    words = folded(text).split()
    if not words:
        return None
    indexed = [word for word in words if len(word) >= TRIGRAM] if _in_user_search(fields) else []
    conditions = [reduce(or_, [contains(f, word) for f in fields])
                  for word in words if word not in indexed]
    if indexed:
        conditions.insert(0, User.id.in_(_found_in_user_search(indexed, fields)))
    return reduce(and_, conditions)


def contains(field, text):
    """`field` LIKE '%text%' with LIKE's wildcards in `text` taken literally: peewee's
    contains() is ILIKE on PostgreSQL, which folds every row again (its OP.LIKE is
    GLOB on SQLite, whose LIKE folds ASCII only, which folded text does not mind)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    operator = OP.ILIKE if backend(db.database) == "sqlite" else OP.LIKE
    return Expression(field, operator, NodeList((Value(f"%{escaped}%", converter=False),
                                                 SQL("ESCAPE"), Value("\\"))))


def _in_user_search(fields):
    return (backend(db.database) == "sqlite"
            and all(f.model is User and f.name in TRIGRAM_FIELDS for f in fields))


def _found_in_user_search(words, fields):
    """The ids of the users with each of `words` in one of `fields`: an FTS5 phrase is
    its trigrams one after the other, so a quoted word matches where it is a part of
    a field (quotes in it doubled, anything else taken literally)."""
    columns = "{" + " ".join(f.column_name for f in fields) + "}"
    phrases = ['"' + word.replace('"', '""') + '"' for word in words]
    query = " AND ".join(f"{columns} : {phrase}" for phrase in phrases)
    return SQL("(SELECT rowid FROM user_search WHERE user_search MATCH ?)", [query])
