"""linked_identities: the outside accounts (Yandex ID) a user signs in with."""
from peewee import CharField, DateTimeField, ForeignKeyField, Model


def upgrade(database):
    class User(Model):
        class Meta:
            table_name = "users"

    class LinkedIdentity(Model):
        user = ForeignKeyField(User, backref="identities", on_delete="CASCADE")
        provider = CharField(max_length=16)
        subject = CharField(max_length=64)
        label = CharField(max_length=254, default="")
        created_at = DateTimeField()

        class Meta:
            table_name = "linked_identities"
            indexes = (
                (("provider", "subject"), True),
                (("user", "provider"), True),
            )

    with database.bind_ctx([User, LinkedIdentity]):
        database.create_tables([LinkedIdentity])
