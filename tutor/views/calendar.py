"""The start page: the teacher's calendar, a week at a time or a month overview."""
import hashlib
from gzip import decompress as gunzip

from flask import Blueprint, current_app, make_response, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from tutor import rendered
from tutor.htmx import answer, has_flashes, render, with_toasts
from tutor.models import utcnow
from tutor.services import accounts, agenda, bounds, calendar, changes, onboarding, schedule

bp = Blueprint("calendar", __name__)


@bp.app_errorhandler(accounts.NoTeacher)
def no_teacher(error):
    return render_template("calendar/not_ready.html"), 503


def viewer():
    """The signed-in user (the object itself: the week asks it about every lesson,
    and each question through the current_user proxy costs a lookup), or None."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def _date_arg(name, fmt):
    """The date in ?name= (malformed or beyond the calendar's bounds: None, today's)."""
    return bounds.parse_date(request.args.get(name), fmt)


@bp.get("/")
def week():
    who, day, now = viewer(), _date_arg("week", "%Y-%m-%d"), utcnow()
    if who and who.is_teacher:
        # The page is the teacher's home (the checklist, the agenda); a week's
        # fragment is the week alone.
        return answer(lambda: with_toasts(_teacher_week(who, day, now)),
                      lambda: _teacher_home(who, day, now))
    # Visitors and students land on the week of the next free slot, which the full
    # page also names; a fragment for a given week needs neither (and stays kept).
    # The full page shows the same kept week.
    if day is not None:
        return answer(lambda: _kept_week(who, day, now),
                      lambda: _week_page(who, day, now, _next_free(who, now)))
    next_free = _next_free(who, now)
    landing = next_free.start.date() if next_free is not None else None
    return answer(lambda: _kept_week(who, landing, now),
                  lambda: _week_page(who, landing, now, next_free))


def _next_free(who, now):
    return calendar.next_free_slot(accounts.the_teacher(), who, now)


def _teacher_home(who, day, now):
    settings = schedule.settings_for(who)
    return render_template("calendar/week.html", week_html=_teacher_week(who, day, now),
                           onboarding=onboarding.checklist(who, settings), teacher_view=True,
                           agenda=agenda.for_teacher(who, now, settings))


def _teacher_week(who, day, now):
    """The teacher's week, kept as a student's is (_kept) but for this session and
    address alone: its forms carry the session's CSRF token, and its buttons lead back
    to this address. Kept only while such a token never expires."""
    key = None
    if current_app.config["WTF_CSRF_TIME_LIMIT"] is None:
        generate_csrf()  # the session's own token exists before the key names it
        token = session[current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")]
        key = _week_key(who, day, request.full_path,
                        hashlib.blake2b(token.encode(), digest_size=16).digest())
    # Never compressed: a secret (the token) beside what the request echoes (its
    # address) is what BREACH reads through compression.
    html, _ = _kept(who, day, now, key, packed=False)
    # Jinja escaped every value in it when it was rendered.
    return Markup(html.decode())  # nosec B704


def _week_page(who, day, now, next_free):
    """A visitor's or a student's full week page, around their kept week."""
    packed, _ = _kept(who, day, now, _week_key(who, day), packed=True)
    # Jinja escaped every value in it when it was rendered.
    html = Markup(gunzip(packed).decode())  # nosec B704
    return render_template("calendar/week.html", week_html=html, next_free=next_free)


def _week_key(who, day, *session):
    """What a week is kept under: the calendar's version (read before the data it
    describes), the viewer, their zone and language, the week, and for the teacher
    what ties it to their session. None before the calendar has a version: such a
    week is not kept."""
    version = changes.calendar_version()
    if version is None:
        return None
    return (version, who.id if who else None, who.timezone if who else None,
            str(get_locale()), day, *session)


def _kept(who, day, now, key, packed):
    """(html, valid until) of the week kept under `key`; built, rendered and kept when
    it is not there. Kept until time alone would change it. The html is the UTF-8 the
    response sends (half the memory of a str with Cyrillic in it, and nothing to encode
    again on a hit), gzip-compressed when `packed`: a sixth of the memory, and of the
    bytes sent to a browser (rendered.gzipped)."""
    cache = rendered.weeks()
    entry = cache.entry(key, now) if key is not None else None
    if entry is None:
        week = calendar.build_week(accounts.the_teacher(), who, day, now)
        html = render_template("calendar/partials/_week.html", week=week).encode()
        entry = (rendered.gzipped(html) if packed else html, week.changes_at)
        if key is not None:
            cache.put(key, *entry)
    return entry


def _kept_week(who, day, now):
    """A visitor's or a student's week fragment, kept here (_kept) and in the browser:
    its entity tag names the same key and moment, so that a browser's conditional
    request is answered 304 before anything is built. (The teacher's carries the
    session's CSRF token: kept for that session alone, never tagged, _teacher_week.)"""
    key = _week_key(who, day)
    # A week with a message over it is shown once: no tag to confirm it by later.
    flashed = has_flashes()
    tagged = key is not None and not flashed
    if tagged and request.if_none_match:
        tag = rendered.current_etag(key, now, request.if_none_match)
        if tag is not None:
            return _fragment_response(make_response("", 304), tag)
    packed, until = _kept(who, day, now, key, packed=True)
    if flashed:
        return _fragment_response(make_response(with_toasts(gunzip(packed).decode())), None)
    tag = rendered.etag(key, until) if tagged else None
    if request.accept_encodings.quality("gzip") > 0:
        response = make_response(packed)
        response.headers["Content-Encoding"] = "gzip"
        tag = tag and tag + rendered.GZIPPED_TAG
    else:
        response = make_response(gunzip(packed))
    response.vary.add("Accept-Encoding")
    return _fragment_response(response, tag)


def _fragment_response(response, tag):
    """Kept by the browser only to be asked about again (it is this viewer's)."""
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("HX-Request")
    if tag is not None:
        response.set_etag(tag)
    return response


@bp.get("/month")
def month():
    month = calendar.build_month(accounts.the_teacher(), viewer(), _date_arg("month", "%Y-%m"),
                                 utcnow())
    return render("calendar/month.html", "calendar/partials/_month.html", month=month)
