"""Faults of the outside providers are held, not dropped: provider_faults (a channel
whose provider refuses our configuration, seen by every process), the reason a message
failed or waits (outbox.fault), and the one-time notice to a user whose Telegram chat
was unlinked because they blocked the bot (users.telegram_lost_at)."""
from peewee import CharField, DateTimeField, Model, TextField
from playhouse.migrate import SchemaMigrator, migrate


class ProviderFault(Model):
    channel = CharField(max_length=16, unique=True)
    code = CharField(max_length=32)
    detail = TextField(default="")
    since = DateTimeField()
    probe_at = DateTimeField()

    class Meta:
        table_name = "provider_faults"


def upgrade(database):
    with database.bind_ctx([ProviderFault]):
        database.create_tables([ProviderFault])
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("outbox", "fault", CharField(max_length=32, default="")),
        migrator.add_column("users", "telegram_lost_at", DateTimeField(null=True)),
    )
