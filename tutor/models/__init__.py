"""peewee models, by area; import them from here. Times are naive UTC datetimes; the
viewer's zone is applied when shown. The schema itself is built by the ordered files in
migrations/, and a test proves they build exactly what these classes describe."""
from tutor.models.accounts import (
    Goal,
    LinkedIdentity,
    LoginSession,
    TrialChat,
    TrialRequest,
    User,
    folded,
    normalize_login,
    person_name,
    search_name,
    shown_name,
)
from tutor.models.base import CONTROL_CHARACTERS, BaseModel, utcnow
from tutor.models.busy import CalendarSubscription, ImportedBusy
from tutor.models.calendar import (
    AvailabilityWindow,
    EndedLesson,
    Feedback,
    Lesson,
    LessonSeries,
    Payment,
    TeacherSettings,
    UnavailableInterval,
)
from tutor.models.messages import (
    Broadcast,
    InboxItem,
    Message,
    ProviderFault,
    StoredFile,
    TelegramLink,
    TelegramUpdate,
)
from tutor.models.operations import (
    ActionUse,
    AuditEntry,
    ChangeCounter,
    JobRun,
    JobState,
    RateLimitCounter,
    SchedulerLease,
    WorkRequest,
)
from tutor.models.profiles import TeacherProfile

# Every table, in the order they can be created (a table after those it refers to).
MODELS = [Goal, User, LoginSession, Message, TeacherSettings, AvailabilityWindow,
          UnavailableInterval, LessonSeries, Lesson, Broadcast, AuditEntry, TelegramLink,
          TelegramUpdate, JobRun, JobState, Payment, Feedback, ChangeCounter,
          RateLimitCounter, InboxItem, StoredFile, ProviderFault, ActionUse, WorkRequest,
          EndedLesson, SchedulerLease, CalendarSubscription, ImportedBusy, TeacherProfile,
          LinkedIdentity, TrialRequest, TrialChat]

__all__ = ["MODELS", "BaseModel", "CONTROL_CHARACTERS", "folded", "normalize_login",
           "person_name", "search_name", "shown_name", "utcnow",
           *(model.__name__ for model in MODELS)]
