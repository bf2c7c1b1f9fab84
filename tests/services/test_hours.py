"""The weekly hours edited as a week (services/hours.py): each edit through one
`apply` that saves all of it or, with the reason in the teacher's words, nothing; and
lessons already booked stay whatever the hours become."""
from datetime import datetime, time

import pytest
from flask_babel import force_locale

from tutor.models import AvailabilityWindow, Lesson
from tutor.services import hours, schedule
from tutor.services.availability import Window

MON_10_14 = Window(0, time(10), time(14))


def saved(teacher):
    return [(w.weekday, w.start.strftime("%H:%M"), w.end.strftime("%H:%M"))
            for w in schedule.windows_for(teacher)]


@pytest.fixture
def monday(app_ctx, teacher):
    schedule.set_windows(teacher, [MON_10_14, Window(0, time(16), time(18)),
                                   Window(4, time(9), time(12))])
    return teacher


def test_add_change_remove(monday):
    hours.apply(monday, hours.added(2, time(8), time(9)))
    hours.apply(monday, hours.changed(0, time(16), time(15), time(19)))
    hours.apply(monday, hours.removed(4, time(9)))
    assert saved(monday) == [(0, "10:00", "14:00"), (0, "15:00", "19:00"), (2, "08:00", "09:00")]


def test_copy_a_day_replaces_the_chosen_days_hours_only(monday):
    hours.apply(monday, hours.copied(0, [1, 2, 3, 4, 0]))
    assert saved(monday) == [(day, start, end) for day in range(5)
                             for start, end in (("10:00", "14:00"), ("16:00", "18:00"))]


def test_copying_a_day_off_clears_the_chosen_days(monday):
    hours.apply(monday, hours.copied(6, [4]))
    assert [w[0] for w in saved(monday)] == [0, 0]


@pytest.mark.parametrize("name, expected", [
    ("weekdays", [(day, "09:00", "18:00") for day in range(5)]),
    ("evenings", [(day, "17:00", "21:00") for day in range(5)]),
    ("weekends", [(0, "10:00", "14:00"), (0, "16:00", "18:00"), (4, "09:00", "12:00"),
                  (5, "10:00", "16:00"), (6, "10:00", "16:00")]),
])
def test_a_preset_sets_its_days_and_keeps_the_others(monday, name, expected):
    hours.apply(monday, hours.preset(name))
    assert saved(monday) == expected


@pytest.mark.parametrize("edit, locale, message", [
    (hours.added(0, time(13), time(15)), "en",
     "Monday: 10:00–14:00 and 13:00–15:00 overlap. Change one of them or join them into one."),
    (hours.added(0, time(13), time(15)), "ru",
     "Понедельник: 10:00–14:00 и 13:00–15:00 пересекаются. Измените одно из них или "
     "объедините в одно."),
    (hours.changed(0, time(16), time(12), time(17)), "en",
     "Monday: 10:00–14:00 and 12:00–17:00 overlap. Change one of them or join them into one."),
    (hours.added(4, time(12), time(11)), "en", "Friday: 12:00–11:00 ends before it starts."),
    (hours.added(4, time(12), time(11)), "ru", "Пятница: 12:00–11:00 кончается раньше, чем "
                                               "начинается."),
    # Friday's 09:00-12:00 copied onto a Monday that has it already is fine; onto
    # hours it overlaps it replaces them, so copying never overlaps.
    (hours.copied(0, []), "en", "Choose the days to copy Monday's hours to."),
    (hours.changed(3, time(10), time(11), time(12)), "en",
     "These hours are no longer there: the page shows them as they are now."),
])
def test_a_bad_week_changes_nothing_and_says_why(monday, edit, locale, message):
    before = saved(monday)
    with force_locale(locale), pytest.raises(hours.HoursError) as error:
        hours.apply(monday, edit)
    assert error.value.message == message
    assert saved(monday) == before


def test_touching_windows_are_fine(monday):
    hours.apply(monday, hours.added(0, time(14), time(16)))
    assert (0, "14:00", "16:00") in saved(monday)


def test_lessons_are_never_touched(monday, create_student):
    # Monday 2026-06-01 11:00 Moscow (08:00 UTC), inside hours that then go away.
    lesson = Lesson.create(teacher=monday, student=create_student(),
                           start=datetime(2026, 6, 1, 8), end=datetime(2026, 6, 1, 9),
                           status=Lesson.CONFIRMED)
    for edit in (hours.removed(0, time(10)), hours.preset("weekends"), hours.copied(3, [0])):
        hours.apply(monday, edit)
    assert AvailabilityWindow.select().where(AvailabilityWindow.weekday == 0).count() == 0
    kept = Lesson.get_by_id(lesson.id)
    assert (kept.start, kept.end, kept.status) == (lesson.start, lesson.end, Lesson.CONFIRMED)


def test_the_week_lists_seven_days_by_start():
    week = hours.week([Window(2, time(15), time(16)), Window(2, time(9), time(10))])
    assert len(week) == 7 and week[0] == () and [w.start for w in week[2]] == [time(9), time(15)]
