"""Busy time from the teacher's other calendars: calendar_subscriptions (the iCal
addresses and how their last read went) and imported_busy (the busy intervals of each,
times only). A write to imported_busy raises the calendar's change counter like the
other tables the calendar shows (migration 0013), so a kept week is built again."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model

from tutor.database import backend

SQLITE_TRIGGER = """
CREATE TRIGGER imported_busy_{operation}_calendar_change AFTER {operation} ON imported_busy
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'calendar';
END
"""

# count_calendar_change() is migration 0013's: once per transaction, at commit.
POSTGRES_TRIGGERS = """
CREATE CONSTRAINT TRIGGER imported_busy_calendar_change
    AFTER INSERT OR UPDATE OR DELETE ON imported_busy
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_calendar_change();
CREATE TRIGGER imported_busy_calendar_truncate AFTER TRUNCATE ON imported_busy
    FOR EACH STATEMENT EXECUTE FUNCTION count_calendar_change();
"""


def upgrade(database):
    class User(Model):
        class Meta:
            table_name = "users"

    class CalendarSubscription(Model):
        teacher = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        url = CharField(max_length=1000)
        created_at = DateTimeField()
        due_at = DateTimeField(index=True)
        checked_at = DateTimeField(null=True)
        fetched_at = DateTimeField(null=True)
        covered_until = DateTimeField(null=True)
        timezone = CharField(max_length=64, default="")
        etag = CharField(max_length=200, default="")
        last_modified = CharField(max_length=100, default="")
        error = CharField(max_length=32, default="")
        error_detail = CharField(max_length=200, default="")
        busy_count = IntegerField(default=0)

        class Meta:
            table_name = "calendar_subscriptions"
            indexes = ((("teacher", "url"), True),)

    class ImportedBusy(Model):
        subscription = ForeignKeyField(CalendarSubscription, backref="+", on_delete="CASCADE")
        teacher = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
        start = DateTimeField()
        end = DateTimeField()

        class Meta:
            table_name = "imported_busy"
            indexes = ((("teacher", "end"), False),)

    with database.bind_ctx([User, CalendarSubscription, ImportedBusy]):
        database.create_tables([CalendarSubscription, ImportedBusy])
    if backend(database) == "postgresql":
        database.execute_sql(POSTGRES_TRIGGERS)
    else:
        for operation in ("insert", "update", "delete"):
            database.execute_sql(SQLITE_TRIGGER.format(operation=operation))
