"""Weekly lesson series: the series itself, and each lesson's link to its series."""
from datetime import datetime

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    TimeField,
)
from playhouse.migrate import SchemaMigrator, migrate


class User(Model):
    class Meta:
        table_name = "users"


class LessonSeries(Model):
    teacher = ForeignKeyField(User, on_delete="CASCADE")
    student = ForeignKeyField(User, on_delete="CASCADE")
    weekday = IntegerField()
    start_time = TimeField()
    minutes = IntegerField()
    first_day = DateField()
    until = DateField(null=True)
    count = IntegerField(null=True)
    comment = TextField(default="")
    status = CharField(max_length=16, default="pending")
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=datetime.utcnow)
    confirmed_at = DateTimeField(null=True)

    class Meta:
        table_name = "lesson_series"


def upgrade(database):
    with database.bind_ctx([User, LessonSeries]):
        database.create_tables([LessonSeries])
    migrator = SchemaMigrator.from_database(database)
    series = ForeignKeyField(LessonSeries, field=LessonSeries.id, null=True,
                             on_delete="SET NULL", index=False)
    with database.bind_ctx([LessonSeries]):
        migrate(migrator.add_column("lessons", "series_id", series))
    # Named as peewee names the index of Lesson.series in a fresh database.
    database.execute_sql("CREATE INDEX lesson_series_id ON lessons (series_id)")
