"""A restore while students book, against a live server on a real socket (threaded,
as in production), on SQLite and on PostgreSQL. The restore puts the app in
maintenance (tutor.database.maintenance): new requests get 503 with Retry-After, the
ones in flight finish first, and none sees the database half replaced — before this,
a booking on PostgreSQL met a 500, its foreign key to the teacher deleted mid-restore."""
import re
import threading
from datetime import time as clock, timedelta

import pytest
import requests

from tests.conftest import STUDENT_PASSWORD
from tutor.database import InMaintenance, enter_request, leave_request, maintenance
from tutor.extensions import db
from tutor.models import Lesson, User, utcnow
from tutor.services import backup, schedule

pytestmark = pytest.mark.serial  # students book under load: runs alone (make test's serial phase)
STUDENTS = 4
RESTORES = 3
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def logged_in(base, login, slot):
    """A student's session and the CSRF token of the booking form for `slot`."""
    session = requests.Session()
    token = TOKEN.search(session.get(f"{base}/login", timeout=30).text)[1]
    response = session.post(f"{base}/login", data={
        "csrf_token": token, "login": login, "password": STUDENT_PASSWORD},
        allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:500]
    page = session.get(f"{base}/lessons/new", params={"start": slot}, timeout=30)
    return session, TOKEN.search(page.text)[1]


@pytest.fixture
def calendar(app, teacher, create_student):
    """The teacher's week open every day, students, and the free slots ahead."""
    with app.app_context():
        schedule.set_windows(teacher, [(day, clock(8), clock(20)) for day in range(7)])
        now = utcnow()
        slots = schedule.free_slots_for(teacher, now + timedelta(days=2),
                                        now + timedelta(days=30), now)
    logins = [create_student(login=f"writer{n}").login for n in range(STUDENTS)]
    return logins, [slot.start.isoformat() for slot in slots]


def test_a_request_in_maintenance_gets_503_with_retry_after(app, live_server, calendar):
    logins, slots = calendar
    session, token = logged_in(live_server, logins[0], slots[0])
    with app.app_context(), maintenance(db.database):
        page = session.get(f"{live_server}/", timeout=30)
        booked = session.post(f"{live_server}/lessons", data={
            "csrf_token": token, "start": slots[0]}, allow_redirects=False, timeout=30)
        fragment = session.get(f"{live_server}/", headers={"HX-Request": "true"}, timeout=30)
    for response in (page, booked, fragment):
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
    assert "восстанавливается из резервной копии" in page.text
    assert "восстанавливается из резервной копии" in fragment.text  # a toast
    assert session.get(f"{live_server}/", timeout=30).status_code == 200
    assert session.get(f"{live_server}/healthz", timeout=30).status_code == 200
    with app.app_context():
        assert Lesson.select().count() == 0


def test_a_restore_waits_for_the_requests_in_flight(app, tmp_path, calendar):
    """A request holds the gate shared; the restore waits for it, and nobody gets in
    while it waits."""
    with app.app_context():
        path, _ = backup.make_backup(db.database, tmp_path, utcnow())
    in_flight = threading.Event()
    finish = threading.Event()
    refused = []

    def request_in_flight():
        with app.app_context():
            token = enter_request(db.database)
            in_flight.set()
            finish.wait(timeout=60)
            leave_request(db.database, token)
            db.database.close()

    def another_request():
        with app.app_context():
            try:
                leave_request(db.database, enter_request(db.database))
            except InMaintenance:
                refused.append(True)
            db.database.close()

    holder = threading.Thread(target=request_in_flight)
    holder.start()
    assert in_flight.wait(timeout=30)
    restore = threading.Thread(target=lambda: _restore(app, path))
    restore.start()
    restore.join(timeout=1)
    assert restore.is_alive(), "the restore did not wait for the request in flight"
    late = threading.Thread(target=another_request)
    late.start()
    late.join(timeout=30)
    assert refused == [True], "a request got in while a restore was waiting"
    finish.set()
    holder.join(timeout=30)
    restore.join(timeout=60)
    assert not restore.is_alive()


def _restore(app, path):
    with app.app_context():
        backup.restore_backup(db.database, path)
        db.database.close()


def test_restore_while_students_book(app, live_server, calendar, tmp_path):
    """Students book and cancel without pause while the database is restored three
    times: every answer is a page, a redirect, a refusal or a 503 with Retry-After —
    never a 5xx of another kind — and the database ends as the backup was."""
    logins, slots = calendar
    with app.app_context():
        path, counts = backup.make_backup(db.database, tmp_path, utcnow())
    sessions = [logged_in(live_server, login, slots[0]) for login in logins]
    stop = threading.Event()
    booking = threading.Barrier(STUDENTS + 1)
    answered = threading.Condition()
    answers, problems = [], []

    def writer(number, login):
        session, token = sessions[number]
        booking.wait(timeout=60)  # the restores start once every writer is writing
        mine = slots[number::STUDENTS]
        turn = 0
        while not stop.is_set():
            start = mine[turn % len(mine)]
            turn += 1
            try:
                response = session.post(f"{live_server}/lessons", data={
                    "csrf_token": token, "start": start}, allow_redirects=False, timeout=60)
            except requests.RequestException as error:
                problems.append(repr(error))
                continue
            with answered:
                answers.append(response.status_code)
                answered.notify_all()
            if response.status_code >= 500 and not (
                    response.status_code == 503 and response.headers.get("Retry-After")):
                problems.append(f"{login} booking {start}: {response.status_code}")

    writers = [threading.Thread(target=writer, args=(n, login))
               for n, login in enumerate(logins)]
    for thread in writers:
        thread.start()
    try:
        booking.wait(timeout=60)
        with app.app_context():
            for _ in range(RESTORES):
                # Between restores, every writer gets a few bookings through.
                with answered:
                    through = answers.count(302) + 2 * STUDENTS
                    assert answered.wait_for(lambda: answers.count(302) >= through or problems,
                                             timeout=60), "the writers stopped getting through"
                assert backup.restore_backup(db.database, path) == counts
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=120)
    assert not problems, problems[:10]
    assert answers, "no request was made"
    assert set(answers) <= {200, 302, 303, 409, 503}, sorted(set(answers))
    with app.app_context():
        assert backup.restore_backup(db.database, path) == counts
        assert Lesson.select().count() == 0
        assert User.select().count() == STUDENTS + 1
