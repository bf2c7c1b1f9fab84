"""Records of the periodic jobs."""
from datetime import datetime

from peewee import BooleanField, CharField, DateTimeField, Model, TextField


class JobRun(Model):
    job = CharField(max_length=64)
    period = CharField(max_length=16, default="")
    manual = BooleanField(default=False)
    status = CharField(max_length=16, default="running")
    started_at = DateTimeField(default=datetime.utcnow)
    finished_at = DateTimeField(null=True)
    counts = TextField(default="{}")
    error = TextField(default="")

    class Meta:
        table_name = "job_runs"
        indexes = (
            (("job", "period"), False),
            (("job", "started_at"), False),
        )


class JobState(Model):
    job = CharField(max_length=64, unique=True)
    last_started_at = DateTimeField(null=True)
    last_finished_at = DateTimeField(null=True)
    last_status = CharField(max_length=16, default="")
    last_success_at = DateTimeField(null=True)
    last_error = TextField(default="")

    class Meta:
        table_name = "job_state"


MODELS = [JobRun, JobState]


def upgrade(database):
    with database.bind_ctx(MODELS):
        database.create_tables(MODELS)
