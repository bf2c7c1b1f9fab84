"""The teacher's public page, edited from the settings."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length

from tutor.forms.base import FlaskForm
from tutor.services import profiles


class ProfileForm(FlaskForm):
    subjects = StringField(_l("Subjects, separated by commas"),
                           validators=[Length(max=profiles.MAX_SUBJECTS)])
    about = TextAreaField(_l("About you (a few sentences a student reads first)"),
                          validators=[Length(max=profiles.MAX_ABOUT)])
    photo = FileField(_l("Photo (JPEG, PNG or WebP, up to %(size)d MB)",
                         size=profiles.MAX_PHOTO_BYTES // (1024 * 1024)))
    remove_photo = BooleanField(_l("Remove the photo"))

    def uploaded_photo(self):
        """The chosen file's bytes (at most one byte past the limit), or None."""
        upload = self.photo.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return upload.stream.read(profiles.MAX_PHOTO_BYTES + 1)
