"""The teacher's calendar: settings, hours, unavailable time, lessons and weekly
series, the lessons that ended, payments and feedback.

Every write to lessons, unavailable_intervals, availability_windows and
teacher_settings (and imported_busy, models/busy.py) raises the calendar's change
counter in the same transaction (database triggers, migrations 0013 and 0026;
services/changes.py), and that clears the kept weeks: a student's or a visitor's
rendered week is kept until the counter moves (views/calendar.py _kept_week). A new
table whose rows change what a week shows needs the same triggers, in its migration;
tests/views/test_week_cache_key.py fails until it has them."""

from flask import current_app, has_app_context
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    TextField,
    TimeField,
)

from tutor.database import Prepared
from tutor.models.accounts import User
from tutor.models.base import BaseModel, utcnow
from tutor.spans import overlap


def default_teacher_timezone():
    if has_app_context():
        return current_app.config["TEACHER_TIMEZONE"]
    return "Europe/Moscow"


class TeacherSettings(BaseModel):
    """The teacher's booking rules, one row per teacher (see for_teacher)."""

    teacher = ForeignKeyField(User, unique=True, backref="settings", on_delete="CASCADE")
    lesson_length_minutes = IntegerField(default=60)
    buffer_minutes = IntegerField(default=0)
    horizon_days = IntegerField(default=56)
    min_notice_hours = IntegerField(default=12)
    cancellation_notice_hours = IntegerField(default=24)
    default_price = DecimalField(max_digits=10, decimal_places=2, default=0)
    timezone = CharField(max_length=64, default=default_teacher_timezone)
    # How many requests one student may have waiting for the teacher's answer.
    max_pending_lessons = IntegerField(default=10)
    max_pending_series = IntegerField(default=2)
    # Where slots start (services/availability.py): on this step of the clock, in
    # minutes, or 0 for right after the previous lesson and the break. New teachers
    # start on the hour; migration 0025 keeps 0 for those who had it before.
    slot_step_minutes = IntegerField(default=60)

    class Meta:
        table_name = "teacher_settings"

    @classmethod
    def for_teacher(cls, teacher):
        """The teacher's settings, created with the defaults on first use."""
        settings = _SETTINGS_OF.first(cls, getattr(teacher, "id", teacher))
        if settings is not None:
            return settings
        try:
            with cls._meta.database.atomic():
                return cls.create(teacher=teacher)
        except IntegrityError:  # another process created them just now
            return cls.get(cls.teacher == teacher)


_SETTINGS_OF = Prepared(lambda teacher_id: TeacherSettings.select().where(
    TeacherSettings.teacher == teacher_id))


class AvailabilityWindow(BaseModel):
    """A weekly default window, wall-clock time in the teacher's zone."""

    teacher = ForeignKeyField(User, backref="availability_windows", on_delete="CASCADE")
    weekday = IntegerField()  # 0 = Monday
    start = TimeField()
    end = TimeField()

    class Meta:
        table_name = "availability_windows"

    @classmethod
    def of(cls, teacher):
        return (cls
                .select()
                .where(cls.teacher == teacher)
                .order_by(cls.weekday, cls.start))


class UnavailableInterval(BaseModel):
    """Time the teacher is away, winning over the weekly windows. A whole day is
    stored as the UTC bounds of the local day."""

    teacher = ForeignKeyField(User, backref="unavailable_intervals", on_delete="CASCADE",
                              index=False)  # the (teacher, start) index covers it
    start = DateTimeField()
    end = DateTimeField()
    reason = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "unavailable_intervals"
        # (teacher, end): the ranges not ended yet, and the ended ones to clean up.
        indexes = ((("teacher", "start"), False), (("teacher", "end"), False))

    @classmethod
    def upcoming(cls, teacher, now):
        """The teacher's intervals that have not ended yet, by start."""
        return (cls
                .select()
                .where((cls.teacher == teacher) & (cls.end > now))
                .order_by(cls.start))

    @classmethod
    def in_range(cls, teacher, start, end):
        """The teacher's intervals overlapping [start, end), by start."""
        return (cls
                .select()
                .where((cls.teacher == teacher) & overlap(cls.start, cls.end, start, end))
                .order_by(cls.start))


class LessonSeries(BaseModel):
    """A weekly series: the same wall-clock time in the teacher's zone every week, from
    first_day until a date or for a number of times. Its occurrences are ordinary
    Lesson rows pointing here; the teacher confirms the series once, after which each
    occurrence lives on its own (moved, cancelled or repriced alone)."""

    PENDING = "pending"  # awaiting the teacher's confirmation
    CONFIRMED = "confirmed"
    STATUSES = (PENDING, CONFIRMED)

    teacher = ForeignKeyField(User, backref="taught_series", on_delete="CASCADE")
    student = ForeignKeyField(User, backref="series", on_delete="CASCADE")
    weekday = IntegerField()  # 0 = Monday, of first_day
    start_time = TimeField()  # wall clock in the teacher's zone
    minutes = IntegerField()  # length of each occurrence
    first_day = DateField()  # local date of the first occurrence
    until = DateField(null=True)  # last local date (inclusive), or
    count = IntegerField(null=True)  # the number of weeks asked for
    comment = TextField(default="")
    status = CharField(max_length=16, default=PENDING)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    confirmed_at = DateTimeField(null=True)

    class Meta:
        table_name = "lesson_series"

    @property
    def is_pending(self):
        return self.status == self.PENDING

    @property
    def ref(self):
        """Unique for all time (see Lesson.ref): for notification keys."""
        return f"{self.id}-{self.created_at:%Y%m%d%H%M%S%f}"

    @classmethod
    def pending_requests(cls, student, teacher):
        """The student's series awaiting the teacher's answer."""
        return (cls
                .select()
                .where((cls.teacher == teacher)
                       & (cls.student == student)
                       & (cls.status == cls.PENDING)))

    def occurrences(self):
        """The series' lessons as they are now, by start."""
        return (Lesson
                .select()
                .where(Lesson.series == self)
                .order_by(Lesson.start))


class Lesson(BaseModel):
    """A booked lesson. Rejected, cancelled and expired lessons are deleted.

    Every insert, update or delete of a lesson, by any path (a bulk update, another
    process, a restore), raises the calendar's change counter in the same transaction
    (triggers of migration 0013): every kept week is then built again on its next
    request (views/calendar.py _kept_week). Nothing in the application has to call
    anything for it, and a write cannot skip it."""

    PENDING = "pending"  # awaiting the teacher's confirmation
    CONFIRMED = "confirmed"
    STATUSES = (PENDING, CONFIRMED)

    # The teacher's mark on a confirmed lesson that has started (None: not marked).
    ATTENDED = "attended"
    MISSED = "missed"  # the student did not come: not charged
    LATE_CANCEL = "late_cancel"  # called off inside the notice: charged
    ATTENDANCE = (ATTENDED, MISSED, LATE_CANCEL)
    CHARGED = (ATTENDED, LATE_CANCEL)

    teacher = ForeignKeyField(User, backref="taught_lessons", on_delete="CASCADE",
                              index=False)  # the (teacher, start) index covers it
    student = ForeignKeyField(User, backref="lessons", on_delete="CASCADE", index=False)
    start = DateTimeField()
    end = DateTimeField()
    status = CharField(max_length=16, default=PENDING)
    comment = TextField(default="")
    price = DecimalField(max_digits=10, decimal_places=2, null=True)
    people = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    confirmed_at = DateTimeField(null=True)
    attendance = CharField(max_length=16, null=True)  # one of ATTENDANCE, or not marked
    series = ForeignKeyField(LessonSeries, null=True, backref="+", on_delete="SET NULL")
    # Entered by the teacher after it took place (services/placing.py): nobody was told.
    entered_afterwards = BooleanField(default=False)
    # The iCalendar SEQUENCE of the lesson's event: raised by every change a calendar
    # that holds the event must take over (services/lesson_calendar.py).
    sequence = IntegerField(default=0)

    class Meta:
        table_name = "lessons"
        indexes = (
            (("teacher", "start"), False),
            # in_range: "end > start of the range" finds the few lessons from there on,
            # where "start < end of the range" would walk the whole history.
            (("teacher", "end"), False),
            (("student", "start"), False),
            # The students list and balances sum charges from this index alone.
            (("student", "status", "attendance", "price"), False),
            (("status", "start"), False),  # the expiry job
            # The teacher's home: past lessons without an attendance mark, counted.
            (("teacher", "status", "attendance", "start"), False),
        )

    @property
    def is_pending(self):
        return self.status == self.PENDING

    @property
    def is_confirmed(self):
        return self.status == self.CONFIRMED

    @property
    def ref(self):
        """Unique for all time, unlike the id, which SQLite may give again to a new
        lesson once the newest one is deleted: for notification idempotency keys."""
        return f"{self.id}-{self.created_at:%Y%m%d%H%M%S%f}"

    @classmethod
    def in_range(cls, teacher, start, end):
        """The teacher's lessons overlapping [start, end), by start. A teacher's
        lessons never overlap, so ordering by end is the same order; it makes SQLite
        read them through the (teacher, end) index, which skips the history before
        `start`, rather than through (teacher, start), which walks all of it."""
        return (cls
                .select()
                .where((cls.teacher == teacher) & overlap(cls.start, cls.end, start, end))
                .order_by(cls.end, cls.start))

    @classmethod
    def for_student(cls, student):
        return (cls
                .select()
                .where(cls.student == student)
                .order_by(cls.start))

    @classmethod
    def pending_requests(cls, student, teacher):
        """The student's single lessons awaiting the teacher's answer (occurrences of
        a series count with their series: LessonSeries.pending_requests)."""
        return (cls
                .select()
                .where((cls.teacher == teacher)
                       & (cls.student == student)
                       & (cls.status == cls.PENDING)
                       & cls.series.is_null()))




class Payment(BaseModel):
    """Money the teacher received from a student, recorded by hand. The student's
    balance is their payments minus the price of their charged lessons
    (services/balances.py)."""

    student = ForeignKeyField(User, backref="payments", on_delete="CASCADE", index=False)
    teacher = ForeignKeyField(User, backref="received_payments", on_delete="CASCADE")
    amount = DecimalField(max_digits=10, decimal_places=2)
    paid_on = DateField()  # the day in the teacher's zone
    note = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "payments"
        indexes = ((("student", "paid_on"), False),)  # balances and the student list

    @classmethod
    def of(cls, student):
        """The student's payments, newest first."""
        return (cls
                .select()
                .where(cls.student == student)
                .order_by(cls.paid_on.desc(), cls.id.desc()))


class Feedback(BaseModel):
    """A student's rating (1 to 5) and comment on a lesson they had; only the teacher
    reads it."""

    lesson = ForeignKeyField(Lesson, unique=True, backref="feedback", on_delete="CASCADE")
    student = ForeignKeyField(User, backref="feedback", on_delete="CASCADE")
    rating = IntegerField()
    comment = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(null=True)

    class Meta:
        table_name = "feedback"






class EndedLesson(BaseModel):
    """What the student is told about a request or lesson that is gone: rejected,
    expired unconfirmed or cancelled (the Lesson row itself is deleted). Keyed by
    the lesson's old id, so its page still opens for its student."""

    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    STATES = (REJECTED, EXPIRED, CANCELLED)

    lesson_id = IntegerField()  # the deleted Lesson's id (SQLite may give it again)
    teacher = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    student = ForeignKeyField(User, backref="ended_lessons", on_delete="CASCADE",
                              index=False)
    start = DateTimeField()
    end = DateTimeField()
    state = CharField(max_length=16)
    was_confirmed = BooleanField(default=False)
    reason = TextField(default="")
    ended_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    ended_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "ended_lessons"
        indexes = (
            (("student", "ended_at"), False),  # the student's recent ones
            (("lesson_id",), False),  # an old lesson link
        )
