"""change_counters: a number the database itself raises on every write to what the
calendar shows (lessons, unavailable intervals, weekly windows, the teacher's
settings), so a rendered week can be kept until it moves (tutor/services/changes.py).

Triggers rather than application code: every write counts, bulk updates and
restores included, and no write path can forget it. On PostgreSQL the raise is a
deferred trigger, done once per transaction at commit: the counter row is then the
last lock a transaction takes, so two writers cannot deadlock over it.
"""
from peewee import BigIntegerField, CharField, Model

from tutor.database import backend

TABLES = ("lessons", "unavailable_intervals", "availability_windows", "teacher_settings")
OPERATIONS = ("INSERT", "UPDATE", "DELETE")


class ChangeCounter(Model):
    name = CharField(max_length=32, primary_key=True)
    value = BigIntegerField(default=0)

    class Meta:
        table_name = "change_counters"


SQLITE_TRIGGER = """
CREATE TRIGGER {table}_{operation}_calendar_change AFTER {operation} ON {table}
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'calendar';
END
"""

POSTGRES_FUNCTION = """
CREATE FUNCTION count_calendar_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tutor.calendar_counted', true) IS DISTINCT FROM
            txid_current()::text THEN
        UPDATE change_counters SET value = value + 1 WHERE name = 'calendar';
        PERFORM set_config('tutor.calendar_counted', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$
"""

POSTGRES_TRIGGERS = """
CREATE CONSTRAINT TRIGGER {table}_calendar_change
    AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_calendar_change();
CREATE TRIGGER {table}_calendar_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION count_calendar_change();
"""


def upgrade(database):
    with database.bind_ctx([ChangeCounter]):
        database.create_tables([ChangeCounter])
        ChangeCounter.create(name="calendar", value=0)
    if backend(database) == "postgresql":
        database.execute_sql(POSTGRES_FUNCTION)
        for table in TABLES:
            database.execute_sql(POSTGRES_TRIGGERS.format(table=table))
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                database.execute_sql(SQLITE_TRIGGER.format(table=table,
                                                           operation=operation.lower()))
