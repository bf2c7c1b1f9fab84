"""The teacher's public page (for visitors: the link a tutor puts in their profiles),
its photo, and the teacher's form for both."""
import io

from flask import Blueprint, abort, flash, render_template, send_file, url_for
from flask_babel import gettext as _
from tutor.forms.profiles import ProfileForm
from tutor.htmx import redirect_to
from tutor.models import TeacherProfile
from tutor.services import accounts, profiles
from tutor.urls import external_url
from tutor.views.access import me, teacher_only

bp = Blueprint("profile", __name__)
edit_bp = teacher_only(Blueprint("profile_edit", __name__, url_prefix="/teacher"))

# A photo's URL names its version, so the bytes behind it never change.
PHOTO_MAX_AGE = 365 * 24 * 3600

PHOTO_ERRORS = {
    profiles.BadPhoto.TOO_BIG: lambda: _(
        "This photo is too large: choose one up to %(size)d MB.",
        size=profiles.MAX_PHOTO_BYTES // (1024 * 1024)),
    profiles.BadPhoto.NOT_AN_IMAGE: lambda: _(
        "This file is not a photo we can show: choose a JPEG, PNG or WebP picture."),
    profiles.BadPhoto.EMPTY: lambda: _("This file is empty: choose a photo."),
}


@bp.get("/about")
def public():
    teacher = accounts.the_teacher()
    page = profiles.public_page(teacher)
    photo_url = (external_url("profile.photo", teacher_id=teacher.id,
                              version=page.photo_version)
                 if page.photo_version else None)
    return render_template("profile/public.html", page=page, teacher=teacher,
                           photo_url=photo_url, page_url=external_url("profile.public"))


@bp.get("/about/<int:teacher_id>/photo/<version>.jpg")
def photo(teacher_id, version):
    found = profiles.photo(teacher_id, version)
    if found is None:
        abort(404)
    data, content_type = found
    response = send_file(io.BytesIO(data), mimetype=content_type, etag=version,
                         max_age=PHOTO_MAX_AGE, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@edit_bp.route("/profile", methods=["GET", "POST"])
def edit():
    teacher = me()
    profile = TeacherProfile.for_teacher(teacher)
    form = ProfileForm(obj=profile)
    if form.validate_on_submit():
        try:
            profiles.save_profile(teacher, form.subjects.data or "", form.about.data or "",
                                  photo=form.uploaded_photo(),
                                  remove_photo=form.remove_photo.data)
        except profiles.BadPhoto as error:
            form.photo.errors = [*form.photo.errors, PHOTO_ERRORS[error.reason]()]
        else:
            flash(_("Your public page is saved."), "success")
            return redirect_to(url_for("profile_edit.edit"))
    return render_template("profile/edit.html", form=form, profile=profile,
                           page_url=external_url("profile.public"))
