"""The teacher's public page: what a visitor sees (name, photo, subjects, about, price,
"book a lesson"), its meta description and Open Graph tags; the teacher's form for it,
and the photo: checked, re-encoded without metadata, served with caching headers."""
import io
import re

import pytest
from PIL import Image

from tests.conftest import TEACHER_PASSWORD, browser_for
from tutor.models import AuditEntry, TeacherProfile, TeacherSettings
from tutor.services import profiles


def picture(format="PNG", size=(800, 600), colour=(200, 40, 40)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format)
    return out.getvalue()


@pytest.fixture
def teacher_browser(app, client, teacher):
    return browser_for(app, "teacher", TEACHER_PASSWORD)


def save(browser, photo=None, **fields):
    data = {"subjects": "", "about": "", **fields}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "me.png")
    return browser.submit("/teacher/profile", data, content_type="multipart/form-data",
                          follow_redirects=True)


def test_a_visitor_sees_the_page_with_its_meta(app, client, teacher):
    with app.app_context():
        TeacherSettings.for_teacher(teacher)
        TeacherSettings.update(default_price=1500).execute()
        profiles.save_profile(teacher, "Математика, физика; ЕГЭ",
                              "Готовлю к ЕГЭ десять лет.\nЗанятия онлайн.",
                              photo=picture())
    page = browser_for(app).get("/about")
    assert page.status_code == 200
    text = page.text
    assert "Анна Петрова" in text
    assert re.findall(r"<li>([^<]+)</li>", text.split('class="tags"')[1].split("</ul>")[0]) == [
        "Математика", "физика", "ЕГЭ"]
    assert "<p>Готовлю к ЕГЭ десять лет.</p><p>Занятия онлайн.</p>" in text
    assert "1,500 ₽ for a lesson of 60 minutes" in text
    assert 'href="/"' in text and "Book a lesson" in text
    assert '<meta name="description" content="Готовлю к ЕГЭ десять лет.' in text
    assert '<meta property="og:title" content="Анна Петрова">' in text
    assert '<meta property="og:url" content="http://localhost/about">' in text
    image = re.search(r'<meta property="og:image" content="http://localhost(/about/\d+/photo/'
                      r'(\w+)\.jpg)">', text)
    assert image and f'src="{image.group(0).split(chr(34))[3]}"' in text


def test_an_empty_page_still_reads(app, client, teacher):
    text = browser_for(app).get("/about").text
    assert "Анна Петрова" in text
    assert "og:image" not in text
    assert "the teacher names the price when confirming" in text
    assert '<meta name="description" content="Анна Петрова: lessons to book online' in text


def test_the_photo_is_served_with_caching_headers(app, client, teacher):
    with app.app_context():
        profiles.save_profile(teacher, "", "", photo=picture())
        version = TeacherProfile.for_teacher(teacher).photo_version
    visitor = browser_for(app)
    response = visitor.get(f"/about/{teacher.id}/photo/{version}.jpg")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    again = visitor.get(f"/about/{teacher.id}/photo/{version}.jpg",
                        headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert visitor.get(f"/about/{teacher.id}/photo/0000.jpg").status_code == 404


def test_a_photo_is_shrunk_and_loses_its_metadata():
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000)).save(out, "JPEG", exif=exif.tobytes())
    stored = Image.open(io.BytesIO(profiles.prepare_photo(out.getvalue())))
    assert stored.format == "JPEG"
    assert stored.size == (profiles.PHOTO_SIDE, profiles.PHOTO_SIDE // 2)
    assert not stored.getexif()


@pytest.mark.parametrize("data, reason", [
    (b"", profiles.BadPhoto.EMPTY),
    (b"%PDF-1.4 not a picture", profiles.BadPhoto.NOT_AN_IMAGE),
    (picture("GIF"), profiles.BadPhoto.NOT_AN_IMAGE),
    (picture()[:60], profiles.BadPhoto.NOT_AN_IMAGE),
    (b"\0" * (profiles.MAX_PHOTO_BYTES + 1), profiles.BadPhoto.TOO_BIG),
])
def test_what_is_not_a_photo_is_refused(data, reason):
    with pytest.raises(profiles.BadPhoto) as refused:
        profiles.prepare_photo(data)
    assert refused.value.reason == reason


def test_the_teacher_edits_the_page(app, teacher_browser, teacher):
    page = teacher_browser.get("/teacher/settings")
    assert 'href="/teacher/profile"' in page.text
    done = save(teacher_browser, photo=picture("WEBP"), subjects="Английский",
                about="Разговорный английский")
    assert "Your public page is saved." in done.text
    with app.app_context():
        profile = TeacherProfile.for_teacher(teacher)
        assert (profile.subjects, profile.about) == ("Английский", "Разговорный английский")
        assert profile.photo_type == "image/jpeg" and profile.photo_version
    assert f"/photo/{profile.photo_version}.jpg" in done.text

    # Saving the words alone keeps the photo; ticking "remove" takes it away.
    save(teacher_browser, subjects="Английский", about="Другое")
    with app.app_context():
        assert TeacherProfile.for_teacher(teacher).photo_version == profile.photo_version
    save(teacher_browser, subjects="Английский", about="Другое", remove_photo="y")
    with app.app_context():
        assert TeacherProfile.for_teacher(teacher).photo_version == ""
        entries = list(AuditEntry.select().where(AuditEntry.action == "profile.update")
                       .order_by(AuditEntry.id))
    assert len(entries) == 3
    assert '"about": "Разговорный английский"' in entries[0].after
    assert entries[2].after == '{"photo": false}'
    log = teacher_browser.get("/teacher/audit").text
    assert "Public page changed" in log


def test_a_bad_photo_is_refused_and_nothing_is_lost(app, teacher_browser, teacher):
    save(teacher_browser, subjects="Химия", about="Было")
    refused = save(teacher_browser, photo=b"MZ not an image", subjects="Химия, биология",
                   about="Стало")
    assert refused.status_code == 200
    assert "This file is not a photo we can show" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "Химия, биология" in refused.text and "Стало" in refused.text  # as typed
    with app.app_context():
        assert TeacherProfile.for_teacher(teacher).about == "Было"  # saved stays saved


def test_only_the_teacher_edits_it(app, client, teacher, create_student):
    create_student(login="alisa")
    assert browser_for(app).get("/teacher/profile").status_code == 302
    student = browser_for(app, "alisa")
    assert student.get("/teacher/profile").status_code == 403
    assert student.post("/teacher/profile", data={"about": "x"}).status_code in (400, 403)


def test_an_upload_past_the_request_limit_is_refused_before_it_is_read(app, teacher_browser,
                                                                      teacher):
    huge = b"\xff\xd8" + b"\0" * app.config["MAX_CONTENT_LENGTH"]
    refused = save(teacher_browser, photo=huge, about="Стало")
    assert refused.status_code == 413
    assert "The upload is too large." in refused.text
    # Between the photo's limit and the request's, the form says why.
    big = save(teacher_browser, photo=b"\0" * (profiles.MAX_PHOTO_BYTES + 1))
    assert "This photo is too large: choose one up to 5 MB." in big.text
    with app.app_context():
        assert TeacherProfile.for_teacher(teacher).about == ""


def test_a_cut_photo_is_refused_after_weasyprint_is_loaded():
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES when imported (a web worker that
    has made a report has it): a cut PNG must still be refused, not filled with grey."""
    import weasyprint  # noqa: F401 (its import is the point)
    from PIL import ImageFile
    assert ImageFile.LOAD_TRUNCATED_IMAGES
    with pytest.raises(profiles.BadPhoto) as refused:
        profiles.prepare_photo(picture()[:60])
    assert refused.value.reason == profiles.BadPhoto.NOT_AN_IMAGE


@pytest.mark.parametrize("version", ["%00", "0" * 40, "not-hex-at-all!!", "ABCDEF0123456789"])
def test_a_photo_address_that_names_no_version_is_a_404(client, teacher, version):
    """The fuzzing found a NUL in the version reaching PostgreSQL (a 500): only what
    token_hex makes is looked up."""
    assert client.get(f"/about/{teacher.id}/photo/{version}.jpg").status_code == 404
