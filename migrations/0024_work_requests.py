"""work_requests: what a request asked for that must not be lost (a password reset, a
job's "run now", a Telegram update), kept until a consumer has done it."""
from peewee import BooleanField, CharField, DateTimeField, IntegerField, Model, TextField


def upgrade(database):
    class WorkRequest(Model):
        kind = CharField(max_length=32)
        key = CharField(max_length=100, null=True, unique=True)
        payload = TextField(default="{}")
        created_at = DateTimeField()
        due_at = DateTimeField()
        attempts = IntegerField(default=0)
        last_error = TextField(default="")
        failed = BooleanField(default=False)

        class Meta:
            table_name = "work_requests"
            indexes = ((("failed", "due_at"), False),)

    with database.bind_ctx([WorkRequest]):
        database.create_tables([WorkRequest])
