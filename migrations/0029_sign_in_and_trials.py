"""linked_identities: the outside accounts (Yandex ID) a user signs in with;
trial_requests: visitors asking for a trial lesson."""
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

    class TrialRequest(Model):
        teacher = ForeignKeyField(User, backref="trial_requests", on_delete="CASCADE")
        name = CharField(max_length=200)
        contact = CharField(max_length=254)
        contact_key = CharField(max_length=254)
        goal = CharField(max_length=1000, default="")
        preferred_times = CharField(max_length=1000, default="")
        status = CharField(max_length=16, default="new")
        created_at = DateTimeField()
        decided_at = DateTimeField(null=True)
        student = ForeignKeyField(User, null=True, backref="trial_requests_made",
                                  on_delete="SET NULL")

        class Meta:
            table_name = "trial_requests"
            indexes = (
                (("contact_key", "created_at"), False),
                (("teacher", "status", "created_at"), False),
            )

    with database.bind_ctx([User, LinkedIdentity, TrialRequest]):
        database.create_tables([LinkedIdentity, TrialRequest])
