"""rate_limits and the teacher's caps on pending requests: the rate limits are counted
in the database when there is no Redis, so every gunicorn worker and host shares one
count; a student may have at most max_pending_lessons single requests and
max_pending_series series waiting for the teacher's answer."""
from peewee import CharField, DoubleField, IntegerField, Model


class RateLimitCounter(Model):
    key = CharField(max_length=255, primary_key=True)
    hits = IntegerField()
    expires_at = DoubleField(index=True)

    class Meta:
        table_name = "rate_limits"


def upgrade(database):
    with database.bind_ctx([RateLimitCounter]):
        database.create_tables([RateLimitCounter])
    # Plain ADD COLUMN on both databases: peewee's migrator makes a NOT NULL column on
    # SQLite by rebuilding the table, which drops teacher_settings' calendar triggers
    # (migration 0013).
    for column, default in (("max_pending_lessons", 10), ("max_pending_series", 2)):
        database.execute_sql(f"ALTER TABLE teacher_settings ADD COLUMN {column} "
                             f"INTEGER NOT NULL DEFAULT {default}")
