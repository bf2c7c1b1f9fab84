"""Ended lessons: a rejected, expired or cancelled lesson's time, state and reason,
kept for its student after the lesson row is deleted."""
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def upgrade(database):
    class User(Model):
        class Meta:
            table_name = "users"

    class EndedLesson(Model):
        lesson_id = IntegerField()
        teacher = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
        student = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
        start = DateTimeField()
        end = DateTimeField()
        state = CharField(max_length=16)
        was_confirmed = BooleanField(default=False)
        reason = TextField(default="")
        ended_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        ended_at = DateTimeField()

        class Meta:
            table_name = "ended_lessons"
            indexes = (
                (("student", "ended_at"), False),
                (("lesson_id",), False),
            )

    with database.bind_ctx([User, EndedLesson]):
        database.create_tables([EndedLesson])
