"""Reminders before lessons: each user's choice of how many hours before."""
from peewee import IntegerField
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("users", "reminder_hours", IntegerField(null=True)))
