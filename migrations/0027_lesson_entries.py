"""Lessons entered afterwards (the teacher's record of a lesson that already took
place, for reports and balances), and each lesson's iCalendar SEQUENCE, raised with
every change a calendar must see (confirmed, moved, cancelled). A lesson confirmed
before this version had SEQUENCE 1 in the feed: it starts there."""
from peewee import BooleanField, IntegerField
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("lessons", "entered_afterwards", BooleanField(default=False)),
            migrator.add_column("lessons", "sequence", IntegerField(default=0)))
    database.execute_sql("UPDATE lessons SET sequence = 1 WHERE confirmed_at IS NOT NULL")
