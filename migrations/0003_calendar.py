"""The calendar: the teacher's settings, weekly windows, unavailable intervals and
lessons."""
from datetime import datetime

from peewee import (
    CharField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    TimeField,
)


class User(Model):
    class Meta:
        table_name = "users"


class TeacherSettings(Model):
    teacher = ForeignKeyField(User, unique=True, on_delete="CASCADE")
    lesson_length_minutes = IntegerField(default=60)
    buffer_minutes = IntegerField(default=0)
    horizon_days = IntegerField(default=56)
    min_notice_hours = IntegerField(default=12)
    cancellation_notice_hours = IntegerField(default=24)
    default_price = DecimalField(max_digits=10, decimal_places=2, default=0)
    timezone = CharField(max_length=64)

    class Meta:
        table_name = "teacher_settings"


class AvailabilityWindow(Model):
    teacher = ForeignKeyField(User, on_delete="CASCADE")
    weekday = IntegerField()
    start = TimeField()
    end = TimeField()

    class Meta:
        table_name = "availability_windows"


class UnavailableInterval(Model):
    teacher = ForeignKeyField(User, on_delete="CASCADE", index=False)
    start = DateTimeField()
    end = DateTimeField()
    reason = CharField(max_length=200, default="")
    created_at = DateTimeField(default=datetime.utcnow)

    class Meta:
        table_name = "unavailable_intervals"
        indexes = ((("teacher", "start"), False),)


class Lesson(Model):
    teacher = ForeignKeyField(User, on_delete="CASCADE", index=False)
    student = ForeignKeyField(User, on_delete="CASCADE", index=False)
    start = DateTimeField()
    end = DateTimeField()
    status = CharField(max_length=16, default="pending")
    comment = TextField(default="")
    price = DecimalField(max_digits=10, decimal_places=2, null=True)
    people = IntegerField(default=1)
    created_at = DateTimeField(default=datetime.utcnow)
    confirmed_at = DateTimeField(null=True)

    class Meta:
        table_name = "lessons"
        indexes = (
            (("teacher", "start"), False),
            (("student", "start"), False),
            (("status", "start"), False),
        )


MODELS = [TeacherSettings, AvailabilityWindow, UnavailableInterval, Lesson]


def upgrade(database):
    with database.bind_ctx([User, *MODELS]):
        database.create_tables(MODELS)
