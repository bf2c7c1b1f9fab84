"""rate_limits and the teacher's caps on pending requests: the rate limits are counted
in the database when there is no Redis, so every gunicorn worker and host shares one
count; a student may have at most max_pending_lessons single requests and
max_pending_series series waiting for the teacher's answer."""
from peewee import CharField, DoubleField, IntegerField, Model
from playhouse.migrate import SchemaMigrator, migrate


class RateLimitCounter(Model):
    key = CharField(max_length=255, primary_key=True)
    hits = IntegerField()
    expires_at = DoubleField(index=True)

    class Meta:
        table_name = "rate_limits"


def upgrade(database):
    with database.bind_ctx([RateLimitCounter]):
        database.create_tables([RateLimitCounter])
    migrator = SchemaMigrator.from_database(database)
    migrate(
        migrator.add_column("teacher_settings", "max_pending_lessons", IntegerField(default=10)),
        migrator.add_column("teacher_settings", "max_pending_series", IntegerField(default=2)),
    )
