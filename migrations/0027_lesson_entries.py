"""Lessons entered afterwards (the teacher's record of a lesson that already took
place, for reports and balances), and each lesson's iCalendar SEQUENCE, raised with
every change a calendar must see (confirmed, moved, cancelled). A lesson confirmed
before this version had SEQUENCE 1 in the feed: it starts there.

Each column is added NOT NULL with its default in one ALTER TABLE: peewee's usual
way (add it nullable, fill it, then SET NOT NULL) rebuilds the table on SQLite, which
drops the calendar's change-counting triggers on `lessons` (migration 0013)."""
from peewee import SQL, BooleanField, IntegerField
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("lessons", "entered_afterwards", BooleanField(
            default=False, constraints=[SQL("DEFAULT FALSE")]), allow_not_null=True),
        migrator.add_column("lessons", "sequence", IntegerField(
            default=0, constraints=[SQL("DEFAULT 0")]), allow_not_null=True))
    database.execute_sql("UPDATE lessons SET sequence = 1 WHERE confirmed_at IS NOT NULL")
