"""Outbox delivery that survives a consumer killed mid-send: when an attempt whose
outcome is unknown started, how many parts of a Telegram message are out already, and
the provider's ids for what went out."""
from peewee import DateTimeField, IntegerField, TextField
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("outbox", "attempt_started_at", DateTimeField(null=True)),
        migrator.add_column("outbox", "parts_sent", IntegerField(default=0)),
        migrator.add_column("outbox", "provider_ids", TextField(default="")),
    )
