"""What a teacher shows the world: the public page's words and photo."""

from peewee import (
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from tutor.models.accounts import User
from tutor.models.base import BaseModel, utcnow


class TeacherProfile(BaseModel):
    """One row per teacher (see for_teacher). The photo is kept in the database like
    the inbox's files, re-encoded on upload (services/profiles.py); `photo_version`
    changes with each photo and names it in its URL, so browsers may keep it for good."""

    teacher = ForeignKeyField(User, unique=True, backref="+", on_delete="CASCADE")
    subjects = CharField(max_length=200, default="")
    about = TextField(default="")
    photo = BlobField(null=True)
    photo_type = CharField(max_length=32, default="")
    photo_version = CharField(max_length=32, default="")
    photo_size = IntegerField(default=0)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "teacher_profiles"

    @classmethod
    def without_photo(cls):
        """Every column but the photo's bytes, for the pages."""
        return cls.select(*(field for field in cls._meta.sorted_fields if field is not cls.photo))

    @classmethod
    def for_teacher(cls, teacher):
        """The teacher's profile (without the photo's bytes), or an unsaved empty one."""
        profile = cls.without_photo().where(cls.teacher == teacher).first()
        return profile if profile is not None else cls(teacher=teacher)
