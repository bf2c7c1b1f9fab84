"""How far the calendar's data has moved: a counter the database raises in the same
transaction as every write to lessons, unavailable intervals, weekly windows and the
teacher's settings (triggers of migration 0013).

Read the version before the data it describes: what is read afterwards is then at
least that new, so a result kept under the version is never older than it.
"""
from peewee import Select

from tutor.database import backend
from tutor.extensions import db
from tutor.models import ChangeCounter, User

_sql = {}  # backend -> (sql, params): built once, read on every calendar request


def calendar_version():
    """Whose calendar it is (the teacher's id) and how far it has moved (the counter),
    as one value to keep results under; None when the counter is missing, and then
    nothing may be kept."""
    database, dialect = db.database, backend(db.database)
    if dialect not in _sql:
        teacher = User.teachers().select(User.id).limit(1)
        counter = (ChangeCounter.select(ChangeCounter.value)
                   .where(ChangeCounter.name == ChangeCounter.CALENDAR))
        _sql[dialect] = database.get_sql_context().sql(
            Select(columns=[teacher, counter])).query()
    teacher_id, counter = database.execute_sql(*_sql[dialect]).fetchone()
    return None if counter is None else (teacher_id, counter)
