"""The notification outbox; e-mail addresses and Telegram usernames are unique."""
from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


class User(Model):
    class Meta:
        table_name = "users"


class Message(Model):
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    channel = CharField(max_length=16)
    address = CharField(max_length=254, null=True)
    kind = CharField(max_length=32, index=True)
    locale = CharField(max_length=8)
    subject = CharField(max_length=300)
    body_text = TextField()
    body_html = TextField(default="")
    attachments = TextField(default="[]")
    status = CharField(max_length=16, default="pending")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=datetime.utcnow)
    last_error = TextField(default="")
    idempotency_key = CharField(max_length=200, unique=True)
    created_at = DateTimeField(default=datetime.utcnow)
    sent_at = DateTimeField(null=True)

    class Meta:
        table_name = "outbox"
        indexes = ((("status", "next_attempt_at"), False),)


def upgrade(database):
    # The names peewee gives these indexes when it creates the table from the model.
    database.execute_sql('CREATE UNIQUE INDEX "user_email" ON "users" ("email")')
    database.execute_sql(
        'CREATE UNIQUE INDEX "user_telegram_username" ON "users" ("telegram_username")')
    with database.bind_ctx([User, Message]):
        database.create_tables([Message])
