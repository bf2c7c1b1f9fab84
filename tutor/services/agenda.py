"""What needs the teacher now, for their home page: requests awaiting an answer,
today's and tomorrow's lessons, past lessons without an attendance mark, and the
students who owe money. Each part is one query, whatever the history holds."""
from dataclasses import dataclass
from datetime import timedelta

from tutor.models import Lesson, User, utcnow
from tutor.services import balances, booking, calendar, schedule, trials, zones

SHOWN = 10  # requests and debtors listed on the page; the rest are a link away


@dataclass(frozen=True)
class Agenda:
    requests: list  # pending lessons still to come, soonest first, at most SHOWN
    requests_total: int
    today: list  # the teacher's lessons today and tomorrow (their zone), by start
    tomorrow: list
    unmarked: int  # past confirmed lessons without an attendance mark, up to UNMARKED_COUNTED
    debtors: list  # students in debt, the largest debt first, at most SHOWN
    debtors_total: int
    zone: str
    price: object  # the teacher's usual price (Decimal), which "confirm" sets
    trials: int = 0  # visitors' trial lesson requests not answered yet (services/trials.py)

    def local(self, moment):
        """A stored naive-UTC moment, aware in the teacher's zone."""
        return zones.local(moment, self.zone)

    @property
    def unmarked_counted_all(self):
        """False when the count stopped at UNMARKED_COUNTED: there may be more."""
        return self.unmarked < balances.UNMARKED_COUNTED

    @property
    def is_quiet(self):
        return not (self.requests or self.today or self.tomorrow or self.unmarked
                    or self.debtors)


def awaiting(teacher, now=None):
    """The teacher's requests awaiting confirmation that have not started yet."""
    now = now or utcnow()
    return (Lesson
            .select()
            .where((Lesson.status == Lesson.PENDING)
                   & (Lesson.start > now)
                   & (Lesson.teacher == teacher)))


def awaiting_count(teacher, now=None):
    """How many requests await the teacher: one COUNT query (the header's badge)."""
    return awaiting(teacher, now).count()


def for_teacher(teacher, now=None):
    """The teacher's Agenda at `now`."""
    now = now or utcnow()
    settings = schedule.settings_for(teacher)
    zone = calendar.viewer_timezone(teacher, settings)
    today = zones.local_date(now, zone)
    day_start = zones.day_start(today, zone)
    tomorrow_start = zones.day_start(today + timedelta(days=1), zone)
    day_after = zones.day_start(today + timedelta(days=2), zone)

    requests = list(awaiting(teacher, now)
                    .select(Lesson, User)
                    .join(User, on=(Lesson.student == User.id))
                    .order_by(Lesson.start, Lesson.id)
                    .limit(SHOWN))
    total = len(requests) if len(requests) < SHOWN else awaiting_count(teacher, now)
    soon = list(Lesson
                .select(Lesson, User)
                .join(User, on=(Lesson.student == User.id))
                .where((Lesson.teacher == teacher)
                       & (Lesson.start >= day_start)
                       & (Lesson.start < day_after))
                .order_by(Lesson.start))
    debtors = balances.students_in_debt()
    return Agenda(
        requests=requests, requests_total=total,
        today=[lesson for lesson in soon if lesson.start < tomorrow_start],
        tomorrow=[lesson for lesson in soon if lesson.start >= tomorrow_start],
        unmarked=balances.unmarked_count(teacher, now),
        debtors=debtors[:SHOWN], debtors_total=len(debtors), zone=zone,
        price=settings.default_price, trials=trials.waiting_count(teacher))


def confirm_as_usual(teacher, lesson, now=None):
    """Confirm a request as it was made, at the teacher's usual price: the one-click
    answer from the home page (the lesson page sets anything else). Raises what
    booking.confirm_lesson raises."""
    price = schedule.settings_for(teacher).default_price
    return booking.confirm_lesson(teacher, lesson, price, lesson.people, now=now)


