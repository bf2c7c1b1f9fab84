"""The weekly grid of the teacher's hours on the availability page: add, change and
remove a window, copy a day to other days, a preset, and when lessons start within
the hours (the slot step). Each answers an htmx request
with the grid alone (partials/_weekly_hours.html) and a plain POST with the page
(PRG on success). Routes of the teacher blueprint (views/teacher.py); the app
imports this module to register them."""
from datetime import datetime

from flask import abort, flash, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from tutor.forms.schedule import (
    SLOT_STEP_LABELS,
    ChangeWindowForm,
    CopyDayForm,
    PresetForm,
    SlotStepForm,
    WindowForm,
)
from tutor.htmx import answer, changed, with_toasts
from tutor.services import hours, schedule
from tutor.views.access import me
from tutor.views.availability_page import availability_page, grid_context, step_label
from tutor.views.teacher import bp


def _answer(edit, done, form=None, changing=None):
    """Apply `edit` (with its audit entry); on success say `done` and show the grid
    again (htmx) or go back to the page; on HoursError show the grid with the reason,
    nothing saved."""
    try:
        hours.apply(me(), edit)
    except hours.HoursError as error:
        return _grid(error, form, changing)
    flash(done, "success")
    return changed(_grid, url_for("teacher.availability", _anchor="weekly-hours"))


def _grid(error=None, form=None, changing=None, step_form=None):
    return answer(
        lambda: with_toasts(render_template("teacher/partials/_weekly_hours.html",
                                            **grid_context(me(), error, form, changing,
                                                           step_form))),
        lambda: availability_page(hours_error=error, window_form=form, changing=changing,
                                  step_form=step_form))


def _refused(form, changing=None):
    """A form that did not validate: the first of its errors as the grid's message."""
    message = next((error for errors in form.errors.values() for error in errors),
                   _("Please check this value."))
    weekday = form.weekday.data if "weekday" in form and isinstance(
        form.weekday.data, int) else None
    # Only the add form's typed times are shown again (the others' are in the page).
    return _grid(hours.HoursError(str(message), weekday),
                 form if isinstance(form, WindowForm) else None, changing)


def _time(text):
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError:
        abort(404)


@bp.post("/availability/windows")
def add_window():
    form = WindowForm()
    if not form.validate_on_submit():
        return _refused(form)
    return _answer(hours.added(form.weekday.data, form.start.data, form.end.data),
                   _("The window is added."), form)


@bp.post("/availability/windows/<int:weekday>/<start>/change")
def change_window(weekday, start):
    old = _time(start)
    if weekday not in range(7) or not any(w.weekday == weekday and w.start == old
                                          for w in schedule.windows_for(me())):
        abort(404)
    form = ChangeWindowForm()
    # A refusal shows the times as typed in their window, not the saved ones.
    changing = {"weekday": weekday, "start": start,
                "typed": [(field.raw_data or [""])[0] for field in (form.start, form.end)]}
    if not form.validate_on_submit():
        return _refused(form, changing)
    return _answer(hours.changed(weekday, old, form.start.data, form.end.data),
                   _("The hours are changed."), changing=changing)


@bp.post("/availability/windows/<int:weekday>/<start>/delete")
def remove_window(weekday, start):
    old = _time(start)
    if not any(w.weekday == weekday and w.start == old for w in schedule.windows_for(me())):
        abort(404)
    return _answer(hours.removed(weekday, old), _("The window is removed."))


@bp.post("/availability/hours/copy")
def copy_day():
    form = CopyDayForm()
    if not form.validate_on_submit():
        return _refused(form)
    return _answer(hours.copied(form.weekday.data, form.days.data),
                   _("The hours are copied."))


@bp.post("/availability/hours/preset")
def apply_preset():
    form = PresetForm()
    if not form.validate_on_submit():
        return _refused(form)
    return _answer(hours.preset(form.preset.data),
                   _("The hours are set: %(preset)s.",
                     preset=hours.PRESETS[form.preset.data][3]))


@bp.post("/availability/hours/step")
def change_slot_step():
    form = SlotStepForm()
    if not form.validate_on_submit():
        return _grid(step_form=form)
    minutes = form.slot_step_minutes.data
    schedule.update_settings(me(), slot_step_minutes=minutes)  # audited with the change
    flash(_("Lessons start %(step)s.", step=SLOT_STEP_LABELS[minutes]), "success")

    def grid_and_rules_line():
        rules_line = render_template("teacher/partials/_rules_step.html", oob=True,
                                     step_label=step_label(schedule.settings_for(me())))
        return Markup(_grid()) + Markup(rules_line)  # nosec B704: both rendered by Jinja

    return changed(grid_and_rules_line,
                   url_for("teacher.availability", _anchor="weekly-hours"))
