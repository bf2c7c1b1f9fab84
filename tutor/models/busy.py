"""Busy time imported from the teacher's other calendars: the iCal addresses they
subscribed (Google, Yandex, Outlook publish one) and, for each, the busy intervals of
its last good read. Only the times are kept: never an event's title or details."""
from urllib.parse import urlsplit

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from tutor.models.accounts import User
from tutor.models.base import BaseModel, utcnow
from tutor.spans import overlap


class CalendarSubscription(BaseModel):
    """One of the teacher's other calendars, read every few minutes
    (services/busy_import.py). A failed read keeps the intervals of the last good one
    and says why in `error` (a code the page puts in words) and `error_detail`."""

    teacher = ForeignKeyField(User, backref="calendar_subscriptions", on_delete="CASCADE")
    url = CharField(max_length=1000)
    created_at = DateTimeField(default=utcnow)
    due_at = DateTimeField(default=utcnow, index=True)  # the next read
    checked_at = DateTimeField(null=True)  # the last read, good or not
    fetched_at = DateTimeField(null=True)  # the last good read (a "not modified" too)
    covered_until = DateTimeField(null=True)  # recurring events were expanded this far
    # The teacher's zone floating and all-day events were placed in at the last read.
    timezone = CharField(max_length=64, default="")
    etag = CharField(max_length=200, default="")
    last_modified = CharField(max_length=100, default="")
    error = CharField(max_length=32, default="")
    error_detail = CharField(max_length=200, default="")
    busy_count = IntegerField(default=0)

    class Meta:
        table_name = "calendar_subscriptions"
        indexes = ((("teacher", "url"), True),)

    @property
    def host(self):
        return urlsplit(self.url).hostname or ""

    @property
    def shown_address(self):
        """The address without its secret part: the host and the file name."""
        parts = urlsplit(self.url)
        name = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if len(name) > 24:
            name = name[:8] + "…" + name[-8:]
        return f"{parts.hostname}/…/{name}" if name else (parts.hostname or "")

    @classmethod
    def of(cls, teacher):
        return (cls
                .select()
                .where(cls.teacher == teacher)
                .order_by(cls.created_at, cls.id))


class ImportedBusy(BaseModel):
    """A stretch of busy time from a subscribed calendar, naive UTC: it blocks the
    slots students are offered, and the teacher sees it as "busy (imported)". Every
    write raises the calendar's change counter (triggers of migration 0026), which
    clears the kept weeks (see Lesson)."""

    subscription = ForeignKeyField(CalendarSubscription, backref="busy", on_delete="CASCADE")
    teacher = ForeignKeyField(User, backref="+", on_delete="CASCADE", index=False)
    start = DateTimeField()
    end = DateTimeField()

    class Meta:
        table_name = "imported_busy"
        # in_range walks from the range's start on, like Lesson.in_range.
        indexes = ((("teacher", "end"), False),)

    @classmethod
    def in_range(cls, teacher, start, end):
        """The teacher's imported busy time overlapping [start, end), by start."""
        return (cls
                .select()
                .where((cls.teacher == teacher) & overlap(cls.start, cls.end, start, end))
                .order_by(cls.end, cls.start))
