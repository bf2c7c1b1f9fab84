"""Sessions that end: one record per login, named by the session and remember-me
cookies, deleted on logout, deactivation and password changes. It replaces the
session_version carried in every session id, which could only end all of a user's
sessions at once; the column stays as reset_version, the password-reset link's
generation (each request voids the links before it)."""
from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, Model


class User(Model):
    class Meta:
        table_name = "users"


class LoginSession(Model):
    user = ForeignKeyField(User, on_delete="CASCADE")
    key_hash = CharField(max_length=64, unique=True)
    device = CharField(max_length=255, default="")
    ip = CharField(max_length=45, null=True)
    created_at = DateTimeField(default=datetime.utcnow)
    last_seen_at = DateTimeField(default=datetime.utcnow)

    class Meta:
        table_name = "login_sessions"


def upgrade(database):
    with database.bind_ctx([User, LoginSession]):
        database.create_tables([LoginSession])
    # Both backends rename a column in place (SQLite since 3.25); rebuilding the
    # users table instead would cascade-delete every row that refers to it.
    database.execute_sql("ALTER TABLE users RENAME COLUMN session_version TO reset_version")
