"""Attendance, payments and feedback: the teacher's mark on a lesson that has started,
the money a student paid, and a student's rating of a lesson they had."""
from datetime import datetime

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.migrate import SchemaMigrator, migrate


class User(Model):
    class Meta:
        table_name = "users"


class Lesson(Model):
    class Meta:
        table_name = "lessons"


class Payment(Model):
    student = ForeignKeyField(User, on_delete="CASCADE", index=False)
    teacher = ForeignKeyField(User, on_delete="CASCADE")
    amount = DecimalField(max_digits=10, decimal_places=2)
    paid_on = DateField()
    note = CharField(max_length=200, default="")
    created_at = DateTimeField(default=datetime.utcnow)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "payments"
        indexes = ((("student", "paid_on"), False),)


class Feedback(Model):
    lesson = ForeignKeyField(Lesson, unique=True, on_delete="CASCADE")
    student = ForeignKeyField(User, on_delete="CASCADE")
    rating = IntegerField()
    comment = TextField(default="")
    created_at = DateTimeField(default=datetime.utcnow)
    updated_at = DateTimeField(null=True)

    class Meta:
        table_name = "feedback"


MODELS = [Payment, Feedback]


def upgrade(database):
    migrator = SchemaMigrator.from_database(database)
    migrate(migrator.add_column("lessons", "attendance", CharField(max_length=16, null=True)))
    with database.bind_ctx([User, Lesson, *MODELS]):
        database.create_tables(MODELS)
