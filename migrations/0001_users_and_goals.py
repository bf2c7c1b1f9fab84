"""Users (teacher and students) and the teacher's learning goals."""
from datetime import datetime

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TimeField,
)


class Goal(Model):
    name = CharField(max_length=200)
    position = IntegerField(default=0)
    retired = BooleanField(default=False)

    class Meta:
        table_name = "goals"


class User(Model):
    login = CharField(max_length=64, unique=True)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16, index=True)
    first_name = CharField(max_length=100, default="")
    last_name = CharField(max_length=100, default="")
    email = CharField(max_length=254, null=True)
    telegram_chat_id = CharField(max_length=32, null=True)
    telegram_username = CharField(max_length=64, null=True)
    channel = CharField(max_length=16, default="none")
    digest_time = TimeField(null=True)
    goal = ForeignKeyField(Goal, null=True, on_delete="SET NULL")
    timezone = CharField(max_length=64, null=True)
    locale = CharField(max_length=8, null=True)
    created_at = DateTimeField(default=datetime.utcnow)
    last_login_at = DateTimeField(null=True)
    inactive_since = DateTimeField(null=True)
    session_version = IntegerField(default=0)

    class Meta:
        table_name = "users"


def upgrade(database):
    with database.bind_ctx([Goal, User]):
        database.create_tables([Goal, User])
