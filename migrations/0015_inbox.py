"""inbox and stored_files: every notification is also kept in the app (the channel of
anyone without a working outside channel), and the files the jobs make (reports,
backups) are kept in the database with it, so any host can serve and send them."""
from peewee import (BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField,
                    Model, TextField)


class User(Model):
    class Meta:
        table_name = "users"


class InboxItem(Model):
    user = ForeignKeyField(User, on_delete="CASCADE", index=False)
    kind = CharField(max_length=32)
    subject = CharField(max_length=300)
    body_text = TextField()
    link = CharField(max_length=500, default="")
    key = CharField(max_length=200, unique=True)
    created_at = DateTimeField()
    read_at = DateTimeField(null=True)

    class Meta:
        table_name = "inbox"
        indexes = ((("user", "read_at"), False),)


class StoredFile(Model):
    item = ForeignKeyField(InboxItem, on_delete="CASCADE")
    owner = ForeignKeyField(User, on_delete="CASCADE")
    token = CharField(max_length=64, unique=True)
    filename = CharField(max_length=200)
    content_type = CharField(max_length=100)
    size = IntegerField()
    content = BlobField()
    created_at = DateTimeField()

    class Meta:
        table_name = "stored_files"


def upgrade(database):
    with database.bind_ctx([User, InboxItem, StoredFile]):
        database.create_tables([InboxItem, StoredFile])
