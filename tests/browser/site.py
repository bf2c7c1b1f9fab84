"""A small school for the sweeps over every page (accessibility, phone layout): one
record behind each URL variable of the URL map, logging in through the real form,
and the checks a page must pass (axe-core, nothing wider than the screen)."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from axe_playwright_python.sync_playwright import Axe
from flask import url_for
from playwright.sync_api import expect

from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import (
    Broadcast,
    Goal,
    Lesson,
    Message,
    Payment,
    TeacherSettings,
    TrialRequest,
    UnavailableInterval,
    User,
    WorkRequest,
    utcnow,
)
from tutor.services import action_links, recovery, schedule, scheduler, series, work

ANONYMOUS, STUDENT, TEACHER = ROLES = ("anonymous", "student", "teacher")
LOGINS = {STUDENT: ("alisa", STUDENT_PASSWORD), TEACHER: ("teacher", TEACHER_PASSWORD)}
PHONE = {"width": 375, "height": 812}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# axe-core's impacts that fail a page; "moderate" and "minor" are reported, not fatal.
FATAL = {"serious", "critical"}

# GET routes that are not pages a person reads: files, feeds, fragments, machines' ends.
NOT_PAGES = {
    "static": "files",
    "main.favicon": "a redirect to the icon",
    "ops.healthz": "for the load balancer",
    "ops.readyz": "for the load balancer",
    "ops.metrics_endpoint": "for Prometheus",
    "feeds.feed": "an iCalendar feed",
    "lessons.calendar_file": "an .ics file",
    "reports.download_csv": "a CSV file",
    "reports.download_pdf": "a PDF file",
    "lessons.student": "an htmx fragment (the name), checked inside the calendar",
    "auth.suggest_name": "an htmx fragment (a datalist)",
    "inbox.bell": "an htmx fragment (the bell), checked inside every page's header",
    "admin.requests_badge": "an htmx fragment (the requests count), checked inside the "
                            "teacher's header",
    "inbox.download": "a file from the inbox",
    "profile.photo": "the teacher's photo (an image), checked inside the public page",
    "signin.yandex_callback": "where Yandex ID sends the browser back (a redirect)",
}


@dataclass
class Site:
    teacher: int
    student: int
    other: int
    pending: int
    confirmed: int
    series: int
    week: str  # the Monday of the week the lessons are in
    month: str
    free_slot: str  # ISO start of a bookable slot in that week
    reset_token: str
    action_token: str  # an e-mail's one-tap link: confirm the pending lesson
    trial: int = 0  # a visitor's open trial lesson request

    def values(self, endpoint, role):
        """URL variables and query arguments that open `endpoint` on a real record."""
        lesson = self.pending if role == STUDENT else self.confirmed
        return {
            "calendar.week": {"week": self.week},
            "calendar.month": {"month": self.month},
            "lessons.show": {"lesson_id": lesson},
            "lessons.new": {"start": self.free_slot},
            "lessons.mine_part": {"part": "upcoming"},
            "series.preview": {"start": self.free_slot, "times": 4},
            "series.show": {"series_id": self.series},
            "admin.student": {"student_id": self.student},
            "admin.edit_student": {"student_id": self.student},
            "admin.delete_student": {"student_id": self.other},
            "admin.confirm_deactivation": {"ids": [self.student, self.other]},
            "teacher.new_lesson": {"start": self.free_slot},
            "auth.reset_password": {"token": self.reset_token},
            "actions.confirm": {"token": self.action_token},
            "trials.show": {"trial_id": self.trial},
            "reports.index": {"month": self.month},
        }.get(endpoint, {})


def build_site(app, teacher, create_student):
    """Windows every weekday, next week's lessons (pending, confirmed, a weekly series),
    a day off, a goal, an outbox message, a payment and a broadcast."""
    now = utcnow()
    today = now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Moscow")).date()
    monday = today + timedelta(days=7 - today.weekday())  # next week in the teacher's zone
    with app.app_context():
        TeacherSettings.for_teacher(teacher)
        schedule.set_windows(teacher, [(day, time(6), time(16)) for day in range(7)])
        goal = Goal.create(name="ЕГЭ", position=1)
        alisa = create_student(login="alisa", first_name="Алиса", last_name="Кузнецова",
                               channel=User.EMAIL, email="alisa@example.org", goal=goal)
        boris = create_student(login="boris", first_name="Борис", last_name="Орлов")
        day = datetime.combine(monday, time())
        pending = Lesson.create(teacher=teacher, student=alisa, comment="Подготовка к ЕГЭ",
                                start=day + timedelta(hours=7), end=day + timedelta(hours=8))
        confirmed = Lesson.create(teacher=teacher, student=boris, comment="Грамматика",
                                  start=day + timedelta(days=1, hours=7),
                                  end=day + timedelta(days=1, hours=8),
                                  status=Lesson.CONFIRMED, price=1500, confirmed_at=now)
        weekly, _lessons, _skipped = series.book_series(
            User.get_by_id(alisa.id), teacher, day + timedelta(days=2, hours=9), count=3,
            comment="Каждую среду")
        UnavailableInterval.create(teacher=teacher, start=day + timedelta(days=5),
                                   end=day + timedelta(days=6), reason="Отпуск")
        Message.create(user=alisa, channel=User.EMAIL, address=alisa.email,
                       kind="lesson_booked", locale="ru", subject="Урок", body_text="Урок",
                       status=Message.FAILED, attempts=8, last_error="refused",
                       idempotency_key="sweep:failed")
        Payment.create(student=alisa, teacher=teacher, amount=3000, paid_on=date.today(),
                       note="Алиса", created_by=teacher)
        Broadcast.create(teacher=teacher, subject="Каникулы", body="Уроков нет", recipients=1)
        WorkRequest.create(kind=work.TELEGRAM_UPDATE, attempts=work.MAX_ATTEMPTS, failed=True,
                           last_error="RuntimeError: the bot's answer could not be built")
        scheduler.hold("worker-2.internal:4711:a1b2c3")  # the Jobs page names it
        trial = TrialRequest.create(teacher=teacher, name="Пётр Сидоров",
                                    contact="petr@example.org", contact_key="petr@example.org",
                                    goal="ОГЭ", preferred_times="будни после 18:00")
        return Site(teacher=teacher.id, student=alisa.id, other=boris.id, pending=pending.id,
                    confirmed=confirmed.id, series=weekly.id, week=monday.isoformat(),
                    month=monday.strftime("%Y-%m"),
                    free_slot=(day + timedelta(days=3, hours=7)).isoformat() + "+00:00",
                    reset_token=recovery.make_reset_token(User.get_by_id(alisa.id)),
                    action_token=action_links.token(action_links.CONFIRM, pending),
                    trial=trial.id)


def page_urls(app, site, role):
    """(endpoint, path) for every GET route of the URL map that renders a page."""
    urls = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
                continue
            values = site.values(rule.endpoint, role)
            missing = set(rule.arguments) - set(values)
            assert not missing, f"{rule.endpoint}: no value for {missing} in Site.values"
            urls.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return urls


def signed_in(browser, live_server, login, password, **context_options):
    """A page of a new browser context (Moscow time unless told), in English, logged in
    as `login` through the navigation's "Log in" link."""
    context_options.setdefault("timezone_id", "Europe/Moscow")
    page = browser.new_context(**context_options).new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def on_next_week(browser, live_server, login, password):
    """Signed in, on next week's calendar."""
    page = signed_in(browser, live_server, login, password)
    # A student's calendar opens on the first week with free time: "Today" first.
    page.locator("#week-current").click()
    page.wait_for_url("**/?week=*")
    this_week = page.url
    page.get_by_role("link", name="Next week").click()
    page.wait_for_url(lambda url: url != this_week)
    expect(page.locator("#week")).to_be_visible()
    return page


def log_in(page, live_server, role):
    if role == ANONYMOUS:
        return
    login, password = LOGINS[role]
    page.goto(live_server + "/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("form#login-form button[type=submit]").click()
    # Attached, not visible: at a phone's width it waits in the closed menu.
    expect(page.locator("form[action='/logout']")).to_be_attached()


def axe_problems(page, label):
    """axe-core's serious and critical findings on what the page shows now."""
    results = Axe().run(page).response
    problems = []
    for violation in results["violations"]:
        if violation["impact"] in FATAL:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
            problems.append(f"{label}: {violation['id']} ({violation['impact']}) "
                            f"{violation['help']} at {targets}")
    return problems


# Anything whose right edge passes the screen's, unless it is inside a box that
# scrolls sideways on purpose (.table-wrap) or clipped away (visually hidden text).
WIDE_ELEMENTS = """() => {
  const limit = window.innerWidth + 0.5;
  // A scroller clips what it contains; an absolutely placed element only from the
  // box it is placed against (its offsetParent) outwards.
  const scrollsOnPurpose = (el) => {
    const placed = ["absolute", "fixed"].includes(getComputedStyle(el).position);
    for (let up = placed ? el.offsetParent : el.parentElement; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= limit) continue;
    if (scrollsOnPurpose(el)) continue;
    wide.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
              `${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : ""}` +
              ` right=${Math.round(box.right)}`);
  }
  return {scroll: document.documentElement.scrollWidth - window.innerWidth, wide: wide.slice(0, 5)};
}"""


def overflow_problems(page, label):
    found = page.evaluate(WIDE_ELEMENTS)
    problems = []
    if found["scroll"] > 0:
        problems.append(f"{label}: the page scrolls sideways by {found['scroll']}px")
    if found["wide"]:
        problems.append(f"{label}: wider than the screen: {found['wide']}")
    return problems


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "phone").mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "phone" / f"{name}.png", full_page=True)
