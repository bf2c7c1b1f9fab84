"""One-tap answers from a notification: the Telegram keyboard an outbox message
carries, and the answers already given (each button or e-mail link works once)."""
from peewee import CharField, DateTimeField, Model, TextField
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    class ActionUse(Model):
        key = CharField(max_length=64, unique=True)
        used_at = DateTimeField()
        expires_at = DateTimeField(index=True)

        class Meta:
            table_name = "action_uses"

    migrator = SchemaMigrator.from_database(database)
    with database.bind_ctx([ActionUse]):
        database.create_tables([ActionUse])
    migrate(migrator.add_column("outbox", "buttons", TextField(default="")))
