"""The words of a calendar week, translated once per language in this process rather
than once per cell of every week rendered: Flask-Babel looks up the request's
translations again on each call, which cost a miss more than all its cells' times."""
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _gettext
from markupsafe import Markup


def _(text):
    """Translated and trusted as Jinja's own _() trusts a translation (its newstyle
    gettext marks it safe), so the page reads the same as before."""
    return Markup(_gettext(text))  # nosec B704: our catalog, no user input


def week_words():
    """The words for the request's language (attributes, for the templates)."""
    locale = str(get_locale())
    known = current_app.extensions.setdefault("week_words", {})
    words = known.get(locale)
    if words is None:
        words = known[locale] = SimpleNamespace(
            free=_("free"), pending=_("awaiting confirmation"), confirmed=_("confirmed"),
            unavailable=_("unavailable"), block=_("Make unavailable"),
            lift=_("Make available"), all_day=_("All day"), day_off=_("Day off"),
            today=_("today"), no_free_time=_("No free time"), weeks=_("Weeks"),
            previous=_("Previous week"), this_week=_("Today"), next=_("Next week"),
            month=_("Month"), show_student=_("Show student"),
            open_lesson=_("Open the lesson"),
            requested=_("This time has been requested and awaits the teacher's confirmation."),
            legend=_("Legend"), legend_free=_("Free"),
            legend_pending=_("Awaiting confirmation"), legend_confirmed=_("Confirmed"),
            legend_own=_("My lesson"), imported=_("busy (imported)"),
            legend_imported=_("Busy in your other calendars"))
    return words


def lesson_for(people):
    """"Lesson for 2 people", once per language and number."""
    return _lesson_for(str(get_locale()), people)


@lru_cache(maxsize=256)
def _lesson_for(locale, people):
    del locale  # the key: ngettext reads the request's language
    return Markup(  # nosec B704: our catalog and a number
        ngettext("Lesson for %(num)d person", "Lesson for %(num)d people", people))
