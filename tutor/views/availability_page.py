"""The teacher's availability page (booking rules, the weekly grid, days off), which
the teacher's views (views/teacher.py) and the weekly grid's (views/hours.py) both
answer with, and the grid's context."""
from tutor.forms.schedule import (
    SLOT_STEP_LABELS,
    DaysOffForm,
    ScheduleSettingsForm,
    SlotStepForm,
)
from tutor.htmx import render
from tutor.models import UnavailableInterval, utcnow
from tutor.services import calendar, hours, schedule, zones
from tutor.views.access import me


def grid_context(teacher, error=None, window_form=None, changing=None, step_form=None):
    """What _weekly_hours.html shows: the week, an error with its day, and the add
    form that failed (its typed values) when one did, or the window whose change was
    refused with the times typed for it (`changing`: weekday, start, typed times);
    the slot step's form (the one posted, when it was refused)."""
    settings = schedule.settings_for(teacher)
    return {
        "step_form": step_form or SlotStepForm(formdata=None, obj=settings),
        "hours_week": hours.week(schedule.windows_for(teacher)),
        "weekdays": hours.WEEKDAYS,
        "presets": hours.PRESETS,
        "hours_error": error,
        "window_form": window_form,
        "changing": changing,
        "zone": settings.timezone,
    }


def step_label(settings):
    """When the teacher's lessons start, in words (the booking rules link to it)."""
    return SLOT_STEP_LABELS[settings.slot_step_minutes]


def availability_page(status=200, lessons_inside=(), hours_error=None, window_form=None,
                      changing=None, **forms):
    """The page, or its partial for htmx; `forms` that failed show their errors, the
    weekly grid its own (views/hours.py)."""
    teacher = me()
    settings = schedule.settings_for(teacher)
    zone = settings.timezone
    context = {
        "settings_form": ScheduleSettingsForm(formdata=None, obj=settings),
        "days_off_form": DaysOffForm(formdata=None),
        **forms,
        **grid_context(teacher, hours_error, window_form, changing,
                       forms.pop("step_form", None)),
        "step_label": step_label(settings),
        "blocks": [calendar.LocalBlock.of(block, zone)
                   for block in UnavailableInterval.upcoming(teacher, utcnow())],
        "lessons_inside": [(lesson, zones.local(lesson.start, zone),
                            zones.local(lesson.end, zone)) for lesson in lessons_inside],
        "zone": zone,
    }
    return render("teacher/availability.html", "teacher/partials/_availability.html",
                  **context), status
