"""Fill an empty database with a reproducible data set for the benchmarks.

    .venv/bin/python bench/seed.py --lessons 100000 --students 5000
    DATABASE_URL=postgresql://... .venv/bin/python bench/seed.py

One teacher, N students, M lessons, the weekly windows and some days off. The schema
is built by the app's migrations; rows go in with insert_many, in batches, inside one
transaction; one argon2 hash serves every account (all share BENCH_PASSWORD).

The shape of the data (the same random seed and anchor date give the same rows):
- The recent past and the future (RECENT_DAYS before the anchor to the end of the
  booking horizon) look like a busy tutor's calendar: 60-minute slots in the weekly
  windows, about a third of them booked, pending and confirmed, a few days off. This
  part is the same at every size, so the weeks the load benchmark opens cost the same
  whatever the size.
- The rest of the lessons are the history, spread evenly over the `--years` before
  that, all confirmed, never overlapping. One tutor cannot teach 100,000 hour-long
  lessons in three years, so the history gets shorter lessons as it gets denser
  (60 minutes up to ~26,000 lessons in three years, 15 at 100,000, 1 at 1,000,000).
  What grows with the size is what the indexes have to skip.
"""
import argparse
import os
import random
import sys
import time
from datetime import date, datetime, time as clock, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEACHER_LOGIN = "teacher"
BENCH_PASSWORD = "Bench-password-2026"
LESSON_MINUTES = 60
HORIZON_DAYS = 366  # the longest the settings allow: plenty of free slots to book
RECENT_DAYS = 28
BOOKED_SHARE = 0.3  # of the recent and future slots
PENDING_SHARE = 0.4  # of the future booked ones
BATCH = 1000
# Weekly windows in the teacher's zone: Monday to Saturday with a lunch break, a
# short Sunday.
WINDOWS = ([(day, clock(8), clock(13)) for day in range(6)]
           + [(day, clock(14), clock(22)) for day in range(6)]
           + [(6, clock(10), clock(14))])
FIRST_NAMES = ["Анна", "Мария", "Иван", "Пётр", "Ольга", "Дмитрий", "Елена", "Сергей",
               "Наталья", "Алексей", "Татьяна", "Андрей", "Ирина", "Михаил", "Светлана",
               "Николай", "Юлия", "Павел", "Ксения", "Артём"]
LAST_NAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов",
              "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
              "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев"]
GOALS = ["ОГЭ", "ЕГЭ", "Олимпиада", "Школьная программа", "Разговорный язык", "Для работы"]
COMMENTS = ["", "", "", "Повторим домашнее задание", "Хочу разобрать вариант ЕГЭ",
            "Можно начать на 5 минут позже?", "Подготовка к контрольной"]


class NotEmpty(Exception):
    """The database already has users: seed only an empty one."""


def default_url():
    return os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'bench' / 'bench.db'}"


def seed(url, students=5_000, lessons=100_000, years=3, anchor=None, random_seed=11,
         replace=False, log=print):
    """Fill the database at `url`; returns a dict of what was written."""
    os.environ.setdefault("SECRET_KEY", "bench")
    from tutor import create_app, migrate
    from tutor.database import backend
    from tutor.extensions import db
    from tutor.models import User, utcnow

    if replace and url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"})
    started = time.perf_counter()
    with app.app_context():
        migrate.upgrade(db.database)
        if User.select().exists():
            raise NotEmpty(f"{url} already has users (use --replace for an SQLite file)")
        if backend(db.database) == "sqlite":
            # Room for the indexes of a million lessons while they are built.
            db.database.execute_sql("PRAGMA cache_size = -262144")
        written = fill(students, lessons, years, anchor or utcnow().date(), random_seed, log)
        if backend(db.database) == "postgresql":
            db.database.execute_sql("ANALYZE")  # what autovacuum would do soon
        db.database.close()
    written["seconds"] = round(time.perf_counter() - started, 1)
    return written


def fill(students, lessons, years, anchor, random_seed=11, log=print):
    """Write the data set into the app's database (an app context is current, the
    database migrated and without users), in one transaction; what seed() does after
    making the app. Tests call it on their own app."""
    from tutor.extensions import db

    with db.database.atomic():
        return _fill(random.Random(random_seed), students, lessons, years, anchor, log)


def _fill(rng, students, lessons, years, anchor, log):
    from tutor.models import (AvailabilityWindow, Goal, Lesson, TeacherSettings,
                              UnavailableInterval, User)
    from tutor.services import availability
    from tutor.services.passwords import hash_password
    from tutor.services.schedule import SETTING_LIMITS

    password_hash = hash_password(BENCH_PASSWORD)  # once: argon2 is slow on purpose
    zone = "Europe/Moscow"
    anchor_at = datetime.combine(anchor, clock())
    goal_ids = [Goal.create(name=name, position=n).id for n, name in enumerate(GOALS)]
    teacher = User.create(login=TEACHER_LOGIN, password_hash=password_hash,
                          role=User.TEACHER, first_name="Вера", last_name="Учитель",
                          email="teacher@example.org", channel=User.EMAIL,
                          created_at=anchor_at - timedelta(days=365 * years + RECENT_DAYS))
    TeacherSettings.create(teacher=teacher, lesson_length_minutes=LESSON_MINUTES,
                           horizon_days=HORIZON_DAYS, min_notice_hours=12,
                           cancellation_notice_hours=24, default_price=Decimal("1500"),
                           timezone=zone,
                           # The booking scenarios book many times as few students.
                           max_pending_lessons=SETTING_LIMITS["max_pending_lessons"][1])
    AvailabilityWindow.insert_many([{"teacher": teacher.id, "weekday": day, "start": start,
                                     "end": end} for day, start, end in WINDOWS]).execute()

    student_ids = _students(rng, students, password_hash, goal_ids, anchor_at, years)
    log(f"{len(student_ids)} students")

    # Days off in the future: a week's holiday every ~two months, and single days.
    days_off = []
    for first in range(20, HORIZON_DAYS, 61):
        days_off.append((anchor + timedelta(days=first), 7 if first % 2 else 1))
    for first in range(9, HORIZON_DAYS, 23):
        days_off.append((anchor + timedelta(days=first), 1))
    blocks = []
    for first, length in days_off:
        start = availability.local_day_bounds(first, zone).start
        end = availability.local_day_bounds(first + timedelta(days=length - 1), zone).end
        blocks.append(availability.Interval(start, end))
    UnavailableInterval.insert_many([{"teacher": teacher.id, "start": b.start, "end": b.end,
                                      "reason": "Отпуск" if b.end - b.start > timedelta(days=2)
                                      else "", "created_at": anchor_at} for b in blocks]).execute()

    # The recent past and the future: a third of the free slots booked.
    rules = availability.Rules(windows=[availability.Window(*w) for w in WINDOWS],
                               lesson_length=timedelta(minutes=LESSON_MINUTES),
                               min_notice=timedelta(0), horizon=timedelta(days=10_000),
                               timezone=zone)
    recent_start = anchor_at - timedelta(days=RECENT_DAYS)
    slots = availability.free_slots(rules, recent_start,
                                    anchor_at + timedelta(days=HORIZON_DAYS),
                                    now=recent_start, unavailable=blocks)
    recent = [slot for slot in slots if rng.random() < BOOKED_SHARE][:lessons]
    rows = []
    for slot in recent:
        future = slot.start >= anchor_at
        pending = future and rng.random() < PENDING_SHARE
        rows.append(_lesson(rng, teacher.id, rng.choice(student_ids), slot.start, slot.end,
                            pending, anchor_at))

    # The history before that, evenly spread and as dense as the size needs.
    history = lessons - len(rows)
    if history > 0:
        first = recent_start - timedelta(days=365 * years)
        step = (recent_start - first) / history
        length = timedelta(minutes=max(1, min(LESSON_MINUTES, int(step.total_seconds() // 60))))
        for n in range(history):
            start = (first + step * n).replace(second=0, microsecond=0)
            rows.append(_lesson(rng, teacher.id, rng.choice(student_ids), start,
                                start + length, False, anchor_at))
    fields = [Lesson.teacher, Lesson.student, Lesson.start, Lesson.end, Lesson.status,
              Lesson.comment, Lesson.price, Lesson.people, Lesson.created_at,
              Lesson.confirmed_at]
    for batch in range(0, len(rows), BATCH):
        Lesson.insert_many(rows[batch:batch + BATCH], fields=fields).execute()
    log(f"{len(rows)} lessons ({len(recent)} from {recent_start:%Y-%m-%d} on, "
        f"{max(history, 0)} before), {len(blocks)} days off")
    return {"students": len(student_ids), "lessons": len(rows), "days_off": len(blocks),
            "teacher": TEACHER_LOGIN, "password": BENCH_PASSWORD}


def _students(rng, count, password_hash, goal_ids, anchor_at, years):
    from tutor.models import User, search_name

    channels = [User.EMAIL, User.EMAIL, User.TELEGRAM, User.NO_CHANNEL]
    span = int(timedelta(days=365 * years).total_seconds())
    rows = []
    for n in range(1, count + 1):
        channel = rng.choice(channels)
        created = anchor_at - timedelta(seconds=rng.randrange(span))
        seen = created + (anchor_at - created) * rng.random()
        inactive = seen < anchor_at - timedelta(days=60)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES) + ("а" if n % 2 else "")
        rows.append((f"student{n:05d}", password_hash, User.STUDENT,
                     first, last, search_name(first, last),
                     f"student{n:05d}@example.org",
                     f"{900000000 + n}" if channel == User.TELEGRAM else None,
                     f"student{n:05d}_tg" if channel == User.TELEGRAM else None,
                     channel, clock(8) if channel != User.NO_CHANNEL else None,
                     rng.choice(goal_ids), created, seen,
                     seen + timedelta(days=60) if inactive else None))
    fields = [User.login, User.password_hash, User.role, User.first_name, User.last_name,
              User.search_name, User.email, User.telegram_chat_id, User.telegram_username, User.channel,
              User.digest_time, User.goal, User.created_at, User.last_login_at,
              User.inactive_since]
    for batch in range(0, len(rows), BATCH):
        User.insert_many(rows[batch:batch + BATCH], fields=fields).execute()
    return [row.id for row in User.select(User.id).where(User.role == User.STUDENT)]


def _lesson(rng, teacher_id, student_id, start, end, pending, anchor_at):
    from tutor.models import Lesson

    created = start - timedelta(days=rng.randint(1, 30))
    if pending:
        return (teacher_id, student_id, start, end, Lesson.PENDING, rng.choice(COMMENTS),
                None, 1, min(created, anchor_at), None)
    return (teacher_id, student_id, start, end, Lesson.CONFIRMED, rng.choice(COMMENTS),
            Decimal(rng.choice([1200, 1500, 1500, 2000])), rng.choice([1, 1, 1, 2]),
            min(created, anchor_at), min(created + timedelta(hours=3), anchor_at))


def overlaps(url):
    """Pairs of the teacher's lessons that overlap (there must be none): each lesson
    against the next one by start."""
    from tutor import create_app
    from tutor.extensions import db

    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        count = db.database.execute_sql(
            'SELECT COUNT(*) FROM (SELECT "end", LEAD("start") OVER ('
            'PARTITION BY teacher_id ORDER BY "start", id) AS next_start FROM lessons) AS t '
            'WHERE next_start < "end"').fetchone()[0]
        db.database.close()
    return count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_url(),
                        help="default: $DATABASE_URL, else instance/bench/bench.db")
    parser.add_argument("--students", type=int, default=5_000)
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=3, help="of history")
    parser.add_argument("--anchor", type=date.fromisoformat, default=None,
                        help="the day the data is built around (default: today, UTC)")
    parser.add_argument("--seed", type=int, default=11, help="the random seed")
    parser.add_argument("--replace", action="store_true",
                        help="delete the SQLite file first")
    args = parser.parse_args(argv)
    if args.students < 1 or args.lessons < 0:
        parser.error("at least one student and no negative number of lessons")
    try:
        written = seed(args.database_url, args.students, args.lessons, args.years,
                       args.anchor, args.seed, args.replace)
    except NotEmpty as error:
        parser.exit(2, f"seed.py: {error}\n")
    print(f"seeded in {written['seconds']} s: {written['students']} students, "
          f"{written['lessons']} lessons, {written['days_off']} days off; log in as "
          f"{written['teacher']} / student00001 with the password {written['password']}")
    return written


if __name__ == "__main__":
    main()
