"""Screenshots of the main pages, desktop (1280 px) and phone (375 px), for the README
and docs/: a seeded local app on a temporary SQLite database, served on a free port
of 127.0.0.1, photographed by Playwright driving /usr/bin/chromium, each PNG reduced
to a 64-colour palette so the set stays small. Run it after a visible change:

    .venv/bin/python tools/screenshots.py [--out docs/screenshots]

and commit the PNGs it writes (their list is PAGES below). Chromium is started in the
pages' language (its UI language sets how date and time fields read: "10:00",
"09.12.2026" in Russian, not "10:00 AM", "12/09/2026"), which needs Debian's
chromium-l10n (`make chromium` installs it)."""
import argparse
import io
import logging
import os
import sys
import tempfile
import threading
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tutor import create_app, migrate  # noqa: E402
from tutor.extensions import db  # noqa: E402
from tutor.models import Goal, Lesson, Payment, TeacherSettings, User, utcnow  # noqa: E402
from tutor.services import profiles, schedule, series  # noqa: E402
from tutor.services.passwords import hash_password  # noqa: E402

PASSWORD = "screenshots-only-Pa55"  # an account in a throw-away database
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
ZONE = "Europe/Moscow"
COLOURS = 64
# Each language the tool photographs in: the browser context's locale and Chromium's.
LOCALES = {"ru": "ru-RU", "en": "en-US"}
CHROMIUM_LOCALES = Path("/usr/lib/chromium/locales")
# (file name, who looks, path; "{week}" is next week's Monday)
PAGES = [
    ("public-page", None, "/about"),
    ("calendar-visitor", None, "/?week={week}"),
    ("my-lessons", "alisa", "/lessons/mine"),
    ("teacher-home", "teacher", "/?week={week}"),
    ("teacher-week", "teacher", "/?week={week}#week"),
    ("teacher-month", "teacher", "/month?month={month}"),
    ("teacher-lessons", "teacher", "/teacher/lessons"),
    ("teacher-students", "teacher", "/teacher/students"),
    ("teacher-availability", "teacher", "/teacher/availability"),
]


def portrait():
    """A drawn stand-in for the teacher's photo (no real person's face in the repo)."""
    image = Image.new("RGB", (480, 480), (214, 226, 247))
    pen = ImageDraw.Draw(image)
    pen.ellipse((150, 70, 330, 250), fill=(118, 88, 72))
    pen.ellipse((170, 95, 310, 235), fill=(233, 196, 168))
    pen.pieslice((80, 260, 400, 580), 180, 360, fill=(23, 63, 158))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed():
    """A tutor with a public page, weekly hours, three students, next week's lessons
    (awaiting, confirmed, a weekly series), a payment. Returns (week, month)."""
    now = utcnow()
    today = now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(ZONE)).date()
    monday = today + timedelta(days=7 - today.weekday())
    teacher = User.create(login="teacher", password_hash=hash_password(PASSWORD),
                          role=User.TEACHER, first_name="Анна", last_name="Петрова",
                          onboarding_dismissed_at=now)  # the checklist would fill the view
    TeacherSettings.for_teacher(teacher)
    TeacherSettings.update(default_price=1500, timezone=ZONE).execute()
    schedule.set_windows(teacher, [(day, time(10), time(18)) for day in range(6)])
    profiles.save_profile(
        teacher, "Математика, физика, подготовка к ЕГЭ",
        "Преподаю математику и физику двенадцать лет. Готовлю к ЕГЭ и ОГЭ, "
        "помогаю разобраться в школьной программе без зубрёжки.\n"
        "Занятия онлайн или у меня в Москве, у метро «Сокол».", photo=portrait())
    goal = Goal.create(name="ЕГЭ по математике", position=1)
    students = [User.create(login=login, password_hash=hash_password(PASSWORD), role=User.STUDENT,
                            first_name=first, last_name=last, goal=goal)
                for login, first, last in [("alisa", "Алиса", "Кузнецова"),
                                           ("boris", "Борис", "Орлов"),
                                           ("vera", "Вера", "Смирнова")]]
    alisa, boris, vera = students
    day = datetime.combine(monday, time()) - timedelta(hours=3)  # Moscow midnight in UTC

    def lesson(student, days, hour, **fields):
        start = day + timedelta(days=days, hours=hour)
        return Lesson.create(teacher=teacher, student=student, start=start,
                             end=start + timedelta(hours=1), **fields)

    lesson(alisa, 0, 11, comment="Производные")
    lesson(boris, 1, 14, comment="Кинематика", status=Lesson.CONFIRMED, price=1500,
           confirmed_at=now)
    lesson(vera, 3, 16, comment="Пробный вариант", status=Lesson.CONFIRMED, price=1500,
           confirmed_at=now)
    series.book_series(alisa, teacher, day + timedelta(days=2, hours=12), count=4,
                       comment="Каждую среду")
    Payment.create(student=boris, teacher=teacher, amount=3000, paid_on=date.today(),
                   note="За два урока", created_by=teacher)
    return monday.isoformat(), monday.strftime("%Y-%m")


def log_in(page, base, login):
    page.goto(base + "/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    page.locator("form#login-form button[type=submit]").click()
    page.wait_for_selector("form[action='/logout']", state="attached")


def shrink(png):
    """The screenshot as a palette PNG: a tenth of the bytes, text still sharp."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, "PNG", optimize=True)
    return out.getvalue()


def launch(playwright, language):
    """Chromium in `language`: its date, time and month fields follow its own UI
    language (the LANGUAGE variable with --lang), not the page's or the context's."""
    if not (CHROMIUM_LOCALES / f"{language}.pak").exists() and language != "en":
        print(f"warning: {CHROMIUM_LOCALES}/{language}.pak is missing (apt-get install "
              "chromium-l10n): date and time fields will read in English", file=sys.stderr)
    locale = LOCALES[language]
    return playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              f"--lang={language}", f"--accept-lang={locale},{language}"],
        env={**os.environ, "LANGUAGE": language, "LANG": f"{locale.replace('-', '_')}.UTF-8"})


def photograph(base, out, week, month, language):
    sizes = {}
    with sync_playwright() as playwright:
        browser = launch(playwright, language)
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            contexts = {}
            for name, who, path in PAGES:
                if who not in contexts:
                    context = browser.new_context(viewport=viewport, timezone_id=ZONE,
                                                  locale=LOCALES[language])
                    page = context.new_page()
                    if language != "ru":
                        page.goto(base + "/")
                        page.locator(f"button[formaction$='/language/{language}']").click()
                    if who:
                        log_in(page, base, who)
                    contexts[who] = page
                page = contexts[who]
                page.goto(base + path.format(week=week, month=month))
                page.wait_for_load_state("networkidle")
                data = shrink(page.screenshot())
                target = out / f"{name}-{width}.png"
                target.write_bytes(data)
                sizes[target.name] = len(data)
            for page in contexts.values():
                page.context.close()
        browser.close()
    return sizes


def seeded_server(workdir):
    """The app on a seeded SQLite database in `workdir`, served in a thread on a free
    port of 127.0.0.1 (bench/lighthouse.py uses it too). Returns (server, week, month);
    the caller shuts the server down."""
    os.environ.setdefault("SECRET_KEY", "screenshots-only")
    app = create_app({"DATABASE_URL": f"sqlite:///{workdir}/tutor.db", "REDIS_URL": "",
                      "INSTANCE_PATH": workdir, "RATELIMIT_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "memory://", "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_COST": 1024, "TEACHER_TIMEZONE": ZONE})
    for name in ("werkzeug", "tutor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with app.app_context():
        migrate.upgrade(db.database)
        week, month = seed()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, week, month


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--language", default="ru", choices=tuple(LOCALES))
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        server, week, month = seeded_server(workdir)
        try:
            sizes = photograph(f"http://127.0.0.1:{server.server_port}", arguments.out,
                               week, month, arguments.language)
        finally:
            server.shutdown()
    for name, size in sorted(sizes.items()):
        print(f"{size // 1024:5d} KB  {name}")
    print(f"{sum(sizes.values()) // 1024:5d} KB  in all")


if __name__ == "__main__":
    main()
