"""The app's own bookkeeping: the audit trail, jobs, change counters, rate limits,
used action links and work requests."""

from peewee import (
    JOIN,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from tutor.models.accounts import User
from tutor.models.base import BaseModel, utcnow


class AuditEntry(BaseModel):
    """Who did what to which record, when, with the record before and after (JSON)."""

    actor = ForeignKeyField(User, null=True, backref="audit_entries", on_delete="SET NULL")
    action = CharField(max_length=64, index=True)
    target_type = CharField(max_length=32, null=True)  # a table name
    target_id = IntegerField(null=True)  # no foreign key: the target may be deleted
    before = TextField(null=True)
    after = TextField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "audit_log"
        indexes = ((("target_type", "target_id"), False),)

    @classmethod
    def newest(cls, action=None):
        query = (cls
                 .select(cls, User)
                 .join(User, JOIN.LEFT_OUTER, on=(cls.actor == User.id)))
        if action:
            query = query.where(cls.action == action)
        return query.order_by(cls.id.desc())

    @classmethod
    def about(cls, instance):
        return (cls
                .newest()
                .where((cls.target_type == instance._meta.table_name)
                       & (cls.target_id == instance.id)))




class JobRun(BaseModel):
    """One run of a periodic job: the record the teacher sees on the Jobs page, and
    the claim that keeps a monthly job to one successful run per period."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"

    job = CharField(max_length=64)
    period = CharField(max_length=16, default="")  # "2026-12" for a monthly job
    manual = BooleanField(default=False)  # "run now" on the Jobs page
    status = CharField(max_length=16, default=RUNNING)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    counts = TextField(default="{}")  # JSON: what the run changed or sent
    error = TextField(default="")

    class Meta:
        table_name = "job_runs"
        indexes = (
            (("job", "period"), False),
            (("job", "started_at"), False),
        )


class JobState(BaseModel):
    """The latest run of each job, kept even when the run itself left no JobRun row
    (the every-minute jobs record only runs that did something or failed)."""

    job = CharField(max_length=64, unique=True)
    last_started_at = DateTimeField(null=True)
    last_finished_at = DateTimeField(null=True)
    last_status = CharField(max_length=16, default="")
    last_success_at = DateTimeField(null=True)
    last_error = TextField(default="")

    class Meta:
        table_name = "job_state"






class ChangeCounter(BaseModel):
    """A number the database raises on every write to an area (the triggers of
    migrations 0013 and 0026: lessons, unavailable_intervals, availability_windows,
    teacher_settings, imported_busy; of 0034 for the debts: lessons, payments, users);
    see tutor/services/changes.py. Not backed up: a restore counts as writes instead of
    putting an old number back."""

    CALENDAR = "calendar"
    DEBTS = "debts"

    name = CharField(max_length=32, primary_key=True)
    value = BigIntegerField(default=0)

    class Meta:
        table_name = "change_counters"




class RateLimitCounter(BaseModel):
    """One fixed window of a rate limit (tutor/ratelimits.py): the hits counted so far
    and when the window ends, shared by every worker and host. Not backed up; rows of
    ended windows are pruned as new windows start."""

    key = CharField(max_length=255, primary_key=True)
    hits = IntegerField()
    expires_at = DoubleField(index=True)  # seconds since the epoch, as time.time()

    class Meta:
        table_name = "rate_limits"






class ActionUse(BaseModel):
    """A one-tap answer already given (a Telegram button, an e-mail confirmation
    link): the hash of what was pressed, so the same button or link works once. Kept
    until the lesson it was about has started (`expires_at`), after which the signed
    data expires by itself."""

    key = CharField(max_length=64, unique=True)  # sha256 hex of the callback data or token
    used_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)

    class Meta:
        table_name = "action_uses"




class WorkRequest(BaseModel):
    """Work a request asked for that must not be lost (a password reset, a job's "run
    now", a Telegram update): written in the request's own transaction, done by a
    consumer (services/work.py), deleted once done. The queue only wakes the
    consumer, so Redis being down, or a consumer killed, loses none of it."""

    kind = CharField(max_length=32)
    key = CharField(max_length=100, null=True, unique=True)  # one waiting request per key
    payload = TextField(default="{}")  # JSON
    created_at = DateTimeField(default=utcnow)
    due_at = DateTimeField(default=utcnow)  # its next attempt, or the end of a claim
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    failed = BooleanField(default=False)  # gave up after work.MAX_ATTEMPTS

    class Meta:
        table_name = "work_requests"
        indexes = ((("failed", "due_at"), False),)


class SchedulerLease(BaseModel):
    """The consumer that schedules the periodic jobs, as long as it keeps renewing
    (services/scheduler.py). Runtime state: not in backups."""

    name = CharField(max_length=32, primary_key=True)
    holder = CharField(max_length=200)  # host:pid:random of the consumer process
    since = DateTimeField()  # when this holder took it
    renewed_at = DateTimeField()
    expires_at = DateTimeField()

    class Meta:
        table_name = "scheduler_lease"
