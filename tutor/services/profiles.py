"""The teacher's public page: what it says (subjects, a short "about", the usual price
from the booking rules) and the photo, which is checked and re-encoded here so that
only a small JPEG of known size, without the camera's metadata (a phone's GPS
position included), is ever stored or served."""
import io
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from tutor.extensions import db
from tutor.models import TeacherProfile, utcnow
from tutor.services import audit, schedule

MAX_SUBJECTS = 200
MAX_ABOUT = 1500
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Formats a browser shows and Pillow reads; anything else is refused.
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
PHOTO_SIDE = 480  # the stored photo fits a square this size (twice the shown size)
MAX_PHOTO_PIXELS = 40_000_000  # a larger picture is refused before it is decoded
PHOTO_TYPE = "image/jpeg"


class BadPhoto(Exception):
    """The upload is not a photo we keep; `reason` is one of the constants below."""

    TOO_BIG = "too_big"
    NOT_AN_IMAGE = "not_an_image"
    EMPTY = "empty"

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PublicPage:
    name: str
    subjects: tuple
    about: str
    price: Decimal
    lesson_minutes: int
    photo_version: str  # "" without a photo


def subjects_of(text):
    """'Maths, physics; ЕГЭ' -> ('Maths', 'physics', 'ЕГЭ')."""
    parts = text.replace(";", ",").replace("\n", ",").split(",")
    return tuple(part.strip() for part in parts if part.strip())


def public_page(teacher):
    profile = TeacherProfile.for_teacher(teacher)
    settings = schedule.settings_for(teacher)
    return PublicPage(name=teacher.full_name or teacher.login,
                      subjects=subjects_of(profile.subjects), about=profile.about.strip(),
                      price=settings.default_price,
                      lesson_minutes=settings.lesson_length_minutes,
                      photo_version=profile.photo_version)


def prepare_photo(data):
    """The uploaded bytes as the JPEG we store, or BadPhoto."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # loaded by the first photo
    if not data:
        raise BadPhoto(BadPhoto.EMPTY)
    if len(data) > MAX_PHOTO_BYTES:
        raise BadPhoto(BadPhoto.TOO_BIG)
    try:
        # verify() reads the whole file: a cut one is refused even once WeasyPrint has
        # set Pillow's global LOAD_TRUNCATED_IMAGES (it does on import), which makes
        # load() fill what is missing with grey.
        with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as checked:
            checked.verify()
        with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise BadPhoto(BadPhoto.TOO_BIG)
            image.load()
            picture = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError,
            SyntaxError) as error:
        raise BadPhoto(BadPhoto.NOT_AN_IMAGE) from error
    if picture.mode in ("RGBA", "LA", "P"):
        picture = picture.convert("RGBA")
        flat = Image.new("RGB", picture.size, (255, 255, 255))
        flat.paste(picture, mask=picture.getchannel("A"))
        picture = flat
    picture = picture.convert("RGB")
    picture.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def save_profile(teacher, subjects, about, photo=None, remove_photo=False):
    """Store the page's words and, when given, a new photo (raw upload bytes: checked
    first, so a refused photo saves nothing). Returns the profile."""
    jpeg = prepare_photo(photo) if photo is not None else None
    with db.database.atomic():
        profile = TeacherProfile.get_or_none(TeacherProfile.teacher == teacher)
        if profile is None:
            profile = TeacherProfile(teacher=teacher)
        before = {"subjects": profile.subjects, "about": profile.about,
                  "photo": bool(profile.photo_version)}
        profile.subjects = subjects.strip()[:MAX_SUBJECTS]
        profile.about = about.strip()[:MAX_ABOUT]
        if jpeg is not None:
            profile.photo, profile.photo_type, profile.photo_size = jpeg, PHOTO_TYPE, len(jpeg)
            profile.photo_version = secrets.token_hex(8)
        elif remove_photo:
            profile.photo, profile.photo_type, profile.photo_size = None, "", 0
            profile.photo_version = ""
        profile.updated_at = utcnow()
        profile.save()
        after = {"subjects": profile.subjects, "about": profile.about,
                 "photo": bool(profile.photo_version)}
        if jpeg is not None or before != after:
            audit.record(teacher, "profile.update", None, *audit.changes(before, after))
    return profile


VERSION = re.compile(r"[0-9a-f]{16}")  # a photo's version: secrets.token_hex(8)


def photo(teacher, version):
    """(bytes, content type) of the teacher's photo if `version` is its current one,
    else None (an old URL is not served: the photo it named is gone)."""
    if not VERSION.fullmatch(version or ""):  # what token_hex makes, nothing else
        return None
    row = (TeacherProfile
           .select(TeacherProfile.photo, TeacherProfile.photo_type)
           .where(TeacherProfile.teacher == teacher,
                  TeacherProfile.photo_version == version)
           .first())
    if row is None or row.photo is None:
        return None
    return bytes(row.photo), row.photo_type
