"""Telegram linking: one-time deep-link tokens, and the updates already handled."""
from datetime import datetime

from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField, Model


class User(Model):
    class Meta:
        table_name = "users"


class TelegramLink(Model):
    user = ForeignKeyField(User, on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=datetime.utcnow)
    expires_at = DateTimeField()

    class Meta:
        table_name = "telegram_links"


class TelegramUpdate(Model):
    update_id = BigIntegerField(primary_key=True)
    received_at = DateTimeField(default=datetime.utcnow, index=True)

    class Meta:
        table_name = "telegram_updates"


MODELS = [TelegramLink, TelegramUpdate]


def upgrade(database):
    with database.bind_ctx([User, *MODELS]):
        database.create_tables(MODELS)
