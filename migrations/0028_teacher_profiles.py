"""teacher_profiles: the teacher's public page (subjects, a short "about", a photo kept
in the database like the inbox's files)."""
from peewee import (BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    TextField)


def upgrade(database):
    class User(Model):
        class Meta:
            table_name = "users"

    class TeacherProfile(Model):
        teacher = ForeignKeyField(User, unique=True, on_delete="CASCADE")
        subjects = CharField(max_length=200, default="")
        about = TextField(default="")
        photo = BlobField(null=True)
        photo_type = CharField(max_length=32, default="")
        photo_version = CharField(max_length=32, default="")
        photo_size = IntegerField(default=0)
        updated_at = DateTimeField()

        class Meta:
            table_name = "teacher_profiles"

    with database.bind_ctx([TeacherProfile]):
        database.create_tables([TeacherProfile])
