"""The teacher's list of lessons, filtered by days, status and student, and the
rejections and cancellations made from it."""
from dataclasses import dataclass
from datetime import timedelta

from tutor.models import Lesson, User, utcnow
from tutor.services import zones
from tutor.services.pages import PER_PAGE, page_of
from tutor.services.text_search import words_match

UNMARKED = "unmarked"


@dataclass(frozen=True)
class LessonFilter:
    first_day: object = None  # dates in `zone`, inclusive; None: no bound
    last_day: object = None
    status: str = ""  # "", Lesson.PENDING, Lesson.CONFIRMED or UNMARKED
    student: str = ""  # words of the student's name or login
    zone: str = "Europe/Moscow"

    def where(self, teacher):
        condition = Lesson.teacher == teacher.id
        if self.first_day:
            condition &= Lesson.start >= zones.day_start(self.first_day, self.zone)
        if self.last_day:
            condition &= Lesson.start < zones.day_start(self.last_day + timedelta(days=1),
                                                        self.zone)
        if self.status in Lesson.STATUSES:
            condition &= Lesson.status == self.status
        elif self.status == UNMARKED:  # waiting for the teacher's attendance mark
            condition &= ((Lesson.status == Lesson.CONFIRMED) & (Lesson.start <= utcnow())
                          & Lesson.attendance.is_null())
        words = words_match(self.student, (User.search_name, User.login))
        return condition if words is None else condition & words


def lesson_list(teacher, lesson_filter, page=1, per_page=PER_PAGE):
    """A Page of the teacher's lessons matching the filter, by start, each with its
    student loaded."""
    where = lesson_filter.where(teacher)
    query = (Lesson
             .select(Lesson, User)
             .join(User, on=(Lesson.student == User.id))
             .where(where)
             .order_by(Lesson.start, Lesson.id))
    total = (Lesson
             .select()
             .join(User, on=(Lesson.student == User.id))
             .where(where)
             .count())
    return page_of(query, page, per_page, total)
