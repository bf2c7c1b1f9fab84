"""The face of tutor in a browser: the teacher's public page (a visitor books from it,
the teacher fills it in, a file that is not a photo is refused with the reason), and
the desktop at 1280 px: the teacher's header in one row, no word broken inside, the
lessons table without a sideways scroll. Russian, a new install's defaults."""
import io
from datetime import time

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.site import (
    ANONYMOUS,
    ROLES,
    TEACHER,
    axe_problems,
    build_site,
    log_in,
    overflow_problems,
    page_urls,
    screenshot,
)
from tests.browser.keyboard import tab_to
from tutor.models import TeacherProfile
from tutor.services import profiles, schedule

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def png(size=(600, 600)):
    out = io.BytesIO()
    Image.new("RGB", size, (40, 90, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def hours(app, teacher):
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(9), time(18)) for day in range(7)])
        profiles.save_profile(teacher, "Математика, физика", "Готовлю к ЕГЭ.", photo=png())
    return teacher


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_visitor_books_from_the_public_page(browser, live_server, hours, viewport):
    page = browser.new_context(viewport=viewport, timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/about")
    expect(page.get_by_role("heading", level=1)).to_have_text("Анна Петрова")
    photo = page.get_by_role("img", name="Анна Петрова")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the photo did not load"
    expect(page.locator(".tags li")).to_have_text(["Математика", "физика"])
    expect(page.locator('meta[property="og:title"]')).to_have_attribute("content", "Анна Петрова")
    assert overflow_problems(page, "public page") == []
    assert axe_problems(page, "public page") == []
    screenshot(page, f"public-page-{viewport['width']}")

    page.get_by_role("link", name="Запись на занятие").click()
    page.wait_for_url(live_server + "/")
    expect(page.locator("#week .cell-free .slot").first).to_be_visible()


def test_the_public_page_by_keyboard(browser, live_server, hours):
    page = browser.new_context(timezone_id="Europe/Moscow").new_page()
    page.goto(live_server + "/about")
    tab_to(page, page.get_by_role("link", name="Запись на занятие"))
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/")


def test_the_teacher_sets_a_photo_and_a_bad_file_is_refused(browser, live_server, app, hours):
    page = browser.new_context(viewport=DESKTOP, timezone_id="Europe/Moscow").new_page()
    log_in(page, live_server, TEACHER)
    page.goto(live_server + "/teacher/settings")
    page.get_by_role("link", name="Изменить публичную страницу").click()
    page.wait_for_url("**/teacher/profile")
    assert axe_problems(page, "profile form") == []

    about = page.get_by_label("О себе", exact=False)
    about.fill("Готовлю к ЕГЭ и ОГЭ.")
    page.locator("input#photo").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "image/png", "buffer": b"not a picture"}])
    page.get_by_role("button", name="Сохранить").click()
    error = page.locator("#photo-error")
    expect(error).to_contain_text("Этот файл не похож на фото")
    expect(page.locator("input#photo")).to_have_attribute("aria-invalid", "true")
    expect(about).to_have_value("Готовлю к ЕГЭ и ОГЭ.")  # what was typed stays
    assert axe_problems(page, "profile form with an error") == []
    screenshot(page, "profile-photo-refused")

    page.locator("input#photo").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": png((900, 700))}])
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".toast-success")).to_be_visible()
    with app.app_context():
        profile = TeacherProfile.for_teacher(hours)
        assert profile.about == "Готовлю к ЕГЭ и ОГЭ." and profile.photo_size > 0
    page.get_by_role("link", name="Открыть страницу").first.click()
    expect(page.get_by_role("img", name="Анна Петрова")).to_have_attribute(
        "src", f"{live_server}/about/{hours.id}/photo/{profile.photo_version}.jpg")


# A word split across two lines: its letters' boxes sit on different rows.
BROKEN_WORDS = """() => {
  const broken = [];
  // Text kept out of sight (a clipped 1 px box, a honeypot field off the screen) is
  // squeezed on purpose.
  const unseen = (el) => {
    for (let up = el; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).display === "contents") continue;
      const box = up.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1 || box.right <= 0 || box.bottom <= 0) return true;
    }
    return false;
  };
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(".visually-hidden, .label, .long, script, style")) continue;
    const style = getComputedStyle(parent);
    if (style.display === "none" || style.visibility === "hidden" || unseen(parent)) continue;
    for (const match of node.textContent.matchAll(/[^\\s\\-–—\\/]{2,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rows = [...range.getClientRects()].filter(r => r.width > 0);
      const tops = new Set(rows.map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken.slice(0, 5);
}"""

HEADER_ROWS = """() => {
  const items = [...document.querySelectorAll(
    ".site-header .brand, .header-counts a, .site-nav > a, .site-nav form, .language-switch")]
    .filter(el => el.getClientRects().length);
  return new Set(items.map(el => Math.round(el.getBoundingClientRect().top / 20))).size;
}"""


@pytest.mark.parametrize("role", ROLES)
def test_the_desktop_keeps_words_whole_and_the_header_in_one_row(
        browser, live_server, app, teacher, create_student, role):
    site = build_site(app, teacher, create_student)
    context = browser.new_context(viewport=DESKTOP, timezone_id="Europe/Moscow")
    page = context.new_page()
    log_in(page, live_server, role)
    problems, checked = [], []
    for endpoint, path in page_urls(app, site, role):
        if context.request.get(live_server + path, max_redirects=0).status != 200:
            continue
        page.goto(live_server + path)
        checked.append(endpoint)
        if broken := page.evaluate(BROKEN_WORDS):
            problems.append(f"{endpoint}: words broken inside: {broken}")
            screenshot(page, f"broken-{role}-{endpoint}")
        if (rows := page.evaluate(HEADER_ROWS)) != 1:
            problems.append(f"{endpoint}: the header takes {rows} rows")
        problems += overflow_problems(page, endpoint)
        for wrap in page.locator(".table-wrap").all():
            if endpoint == "admin.lessons" and not wrap.evaluate(
                    "el => el.scrollWidth <= el.clientWidth + 1"):
                problems.append(f"{endpoint}: the table scrolls sideways")
    if role == ANONYMOUS:
        assert "profile.public" in checked
    if role == TEACHER:
        assert {"admin.lessons", "profile_edit.edit", "calendar.week"} <= set(checked)
    assert problems == [], "\n".join(problems)


def test_the_checks_see_a_broken_word_and_a_second_header_row(browser, live_server, teacher):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(live_server + "/about")
    page.evaluate("""() => {
        const box = document.createElement("p");
        box.id = "probe-word";
        box.style.width = "40px";
        box.style.overflowWrap = "anywhere";
        box.textContent = "свободно";
        document.querySelector("main").append(box);
        const link = document.createElement("a");
        link.href = "#";
        link.textContent = "ещё одна очень длинная ссылка ".repeat(12);
        document.querySelector(".site-nav").append(link);
    }""")
    assert page.evaluate(BROKEN_WORDS) == ["свободно"]
    page.evaluate("""() => { const box = document.getElementById("probe-word");
        box.style.position = "absolute"; box.style.left = "-10000px"; }""")
    assert page.evaluate(BROKEN_WORDS) == []  # out of sight: not read, not counted
    assert page.evaluate(HEADER_ROWS) > 1
