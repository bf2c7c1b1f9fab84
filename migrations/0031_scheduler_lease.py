"""scheduler_lease: which huey consumer schedules the periodic jobs. Every consumer
is started the same way; the one holding the lease enqueues them, and another takes
over when its holder stops renewing (tutor/services/scheduler.py)."""
from peewee import CharField, DateTimeField, Model


def upgrade(database):
    class SchedulerLease(Model):
        name = CharField(max_length=32, primary_key=True)
        holder = CharField(max_length=200)
        since = DateTimeField()
        renewed_at = DateTimeField()
        expires_at = DateTimeField()

        class Meta:
            table_name = "scheduler_lease"

    with database.bind_ctx([SchedulerLease]):
        database.create_tables([SchedulerLease])
