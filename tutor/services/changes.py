"""How far the calendar's data has moved: a counter the database raises in the same
transaction as every write to lessons, unavailable intervals, weekly windows, the
teacher's settings and imported busy time (triggers of migrations 0013 and 0026); and
how far the students' debts have (lessons' prices and marks, payments, the students'
names and roles: migration 0034).

Read the version before the data it describes: what is read afterwards is then at
least that new, so a result kept under the version is never older than it.
"""
from peewee import Select

from tutor.database import Prepared
from tutor.extensions import db
from tutor.models import ChangeCounter, User

_VERSION = Prepared(lambda: Select(columns=[
    User.teachers().select(User.id).limit(1),
    ChangeCounter.select(ChangeCounter.value).where(
        ChangeCounter.name == ChangeCounter.CALENDAR),
]))


def calendar_version():
    """Whose calendar it is (the teacher's id) and how far it has moved (the counter),
    as one value to keep results under; None when the counter is missing, and then
    nothing may be kept. It is read on every calendar request."""
    teacher_id, counter = db.database.execute_sql(*_VERSION.sql(db.database)).fetchone()
    return None if counter is None else (teacher_id, counter)


_DEBTS = Prepared(lambda: ChangeCounter.select(ChangeCounter.value).where(
    ChangeCounter.name == ChangeCounter.DEBTS))


def debts_version():
    """The debts' counter, or None when it is missing (and nothing may be kept)."""
    row = db.database.execute_sql(*_DEBTS.sql(db.database)).fetchone()
    return None if row is None else row[0]
