"""The teacher's administration: broadcasts and the audit log."""
from datetime import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


class User(Model):
    class Meta:
        table_name = "users"


class Broadcast(Model):
    teacher = ForeignKeyField(User, on_delete="CASCADE")
    subject = CharField(max_length=200)
    body = TextField()
    created_at = DateTimeField(default=datetime.utcnow)
    recipients = IntegerField(default=0)

    class Meta:
        table_name = "broadcasts"


class AuditEntry(Model):
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = CharField(max_length=64, index=True)
    target_type = CharField(max_length=32, null=True)
    target_id = IntegerField(null=True)
    before = TextField(null=True)
    after = TextField(null=True)
    created_at = DateTimeField(default=datetime.utcnow)

    class Meta:
        table_name = "audit_log"
        indexes = ((("target_type", "target_id"), False),)


MODELS = [Broadcast, AuditEntry]


def upgrade(database):
    with database.bind_ctx([User, *MODELS]):
        database.create_tables(MODELS)
