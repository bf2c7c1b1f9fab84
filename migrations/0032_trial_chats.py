"""trial_chats: a visitor's trial request being asked step by step in the Telegram
bot (services/trial_chat.py), kept in the database so that the conversation goes on
after a restart and on any host. trial_requests gains the Telegram chat a request
came from (the visitor is answered there) and the visitor's language.

The new columns are nullable: added in one ALTER TABLE, no rebuild of the table."""
from peewee import CharField, DateTimeField, Model
from playhouse.migrate import SchemaMigrator, migrate


def upgrade(database):
    class TrialChat(Model):
        chat_id = CharField(max_length=32, unique=True)
        step = CharField(max_length=16)
        name = CharField(max_length=200, default="")
        goal = CharField(max_length=1000, default="")
        preferred_times = CharField(max_length=1000, default="")
        locale = CharField(max_length=8, default="")
        updated_at = DateTimeField(index=True)

        class Meta:
            table_name = "trial_chats"

    with database.bind_ctx([TrialChat]):
        database.create_tables([TrialChat])
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("trial_requests", "telegram_chat_id",
                            CharField(max_length=32, null=True)),
        migrator.add_column("trial_requests", "locale", CharField(max_length=8, null=True)))
