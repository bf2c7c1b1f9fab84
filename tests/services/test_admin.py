"""The teacher's administration services without the web: the student list (search
in any alphabet, sorting, totals), edits, passwords, deactivation one by one and en
masse, deletion, the lesson list, learning goals, broadcasts, and the audit entry
every action writes."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from tutor.models import (
    AuditEntry,
    Broadcast,
    Goal,
    InboxItem,
    Lesson,
    LoginSession,
    Message,
    Payment,
    User,
)
from tutor.services import (
    accounts,
    audit,
    balances,
    booking,
    broadcasts,
    goals,
    lesson_list,
    students,
)
from tutor.services.passwords import verify_password

NOW = datetime(2026, 11, 23, 8, 0)  # naive UTC, Monday 11:00 in Moscow
EVERYONE = students.StudentFilter()


@pytest.fixture
def teacher(app_ctx, teacher):
    return User.get_by_id(teacher.id)


@pytest.fixture
def people(app_ctx, create_student):
    """Four students: Алиса (e-mail), Борис (Telegram), Вера (inactive, e-mail) and
    Глеб (no channel), each reloaded in the app context."""
    made = {
        "alisa": create_student(login="alisa", first_name="Алиса", last_name="Кузнецова",
                                channel=User.EMAIL, email="alisa@example.org",
                                last_login_at=datetime(2026, 11, 20)),
        "boris": create_student(login="boris", first_name="Борис", last_name="Орлов",
                                channel=User.TELEGRAM, telegram_chat_id="42",
                                last_login_at=datetime(2026, 11, 22)),
        "vera": create_student(login="vera", first_name="Вера", last_name="Андреева",
                               channel=User.EMAIL, email="vera@example.org",
                               inactive_since=datetime(2026, 10, 1)),
        "gleb": create_student(login="gleb", first_name="Глеб", last_name="Яковлев"),
    }
    return {name: User.get_by_id(user.id) for name, user in made.items()}


def lesson(teacher, student, start, status=Lesson.CONFIRMED, price="1000", hours=1):
    return Lesson.create(teacher=teacher, student=student, start=start,
                         end=start + timedelta(hours=hours), status=status,
                         price=price if status == Lesson.CONFIRMED else None)


def entries(action=None):
    return list(AuditEntry.newest(action))


def logins(page):
    return [student.login for student in page.items]


# --- the student list -----------------------------------------------------------------

@pytest.mark.parametrize("search,expected", [
    ("", ["vera", "alisa", "boris", "gleb"]),  # by last name: Андреева, Кузнецова...
    ("алиса", ["alisa"]),
    ("АЛИСА", ["alisa"]),
    ("кузнецова алиса", ["alisa"]),  # every word, any field, any order
    ("ОРЛ", ["boris"]),
    ("Alisa@Example", ["alisa"]),  # e-mail
    ("GLEB", ["gleb"]),  # login
    ("а", ["vera", "alisa"]),  # a Cyrillic letter: not in Борис Орлов, Глеб Яковлев
    ("%", []),  # LIKE wildcards are plain characters
    ("_", []),
    ("петров", []),
])
def test_search_folds_case_in_any_alphabet(people, search, expected):
    assert logins(students.student_list(students.StudentFilter(search))) == expected


def test_the_teacher_is_never_in_the_list(people, teacher):
    assert teacher.login not in logins(students.student_list(EVERYONE))
    assert logins(students.student_list(students.StudentFilter("петрова"))) == []  # the teacher


def test_status_filter(people):
    assert logins(students.student_list(students.StudentFilter(status=students.INACTIVE))) == ["vera"]
    assert logins(students.student_list(students.StudentFilter(status=students.ACTIVE))) == [
        "alisa", "boris", "gleb"]


def test_counts_and_totals_per_student(people, teacher):
    alisa, boris = people["alisa"], people["boris"]
    lesson(teacher, alisa, datetime(2026, 11, 1, 7), price="1500")
    lesson(teacher, alisa, datetime(2026, 11, 2, 7), price="1000.50")
    lesson(teacher, alisa, datetime(2026, 11, 30, 7), status=Lesson.PENDING)
    lesson(teacher, boris, datetime(2026, 11, 3, 7), price="700")
    Lesson.update(attendance=Lesson.ATTENDED).where(Lesson.price == "1500").execute()
    Lesson.update(attendance=Lesson.MISSED).where(Lesson.price == "700").execute()
    balances.record_payment(teacher, alisa, "1000", date(2026, 11, 1), now=NOW)
    balances.record_payment(teacher, boris, "300", date(2026, 11, 2), now=NOW)
    balances.record_payment(teacher, boris, "200.50", date(2026, 11, 3), now=NOW)
    rows = {s.login: s for s in students.student_list(EVERYONE).items}
    # Paid: the payments; charged: the attended lesson (1500), not the unmarked one
    # (1000.50) nor Boris's missed one.
    assert [(rows[login].lesson_count, rows[login].paid, rows[login].charged,
             rows[login].balance) for login in ("alisa", "boris", "gleb")] == [
        (3, Decimal("1000.00"), Decimal("1500.00"), Decimal("-500.00")),
        (1, Decimal("500.50"), Decimal("0.00"), Decimal("500.50")),
        (0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]


@pytest.mark.parametrize("sort,descending,expected", [
    ("name", False, ["vera", "alisa", "boris", "gleb"]),
    ("name", True, ["gleb", "boris", "alisa", "vera"]),
    ("lessons", True, ["alisa", "boris", "vera", "gleb"]),
    ("lessons", False, ["vera", "gleb", "boris", "alisa"]),
    ("paid", True, ["boris", "alisa", "vera", "gleb"]),
    ("balance", False, ["alisa", "vera", "gleb", "boris"]),
    ("last_login", True, ["boris", "alisa", "vera", "gleb"]),  # never logged in: last
    ("last_login", False, ["alisa", "boris", "vera", "gleb"]),
    ("nonsense", False, ["vera", "alisa", "boris", "gleb"]),
])
def test_sorting(people, teacher, sort, descending, expected):
    for n in range(3):
        lesson(teacher, people["alisa"], datetime(2026, 11, 1 + n, 7), price="100")
    lesson(teacher, people["boris"], datetime(2026, 11, 10, 7), price="5000")
    lesson(teacher, people["boris"], datetime(2026, 11, 11, 7), status=Lesson.PENDING)
    # Alisa owes for her three attended lessons (−300); Boris paid 5000 ahead.
    Lesson.update(attendance=Lesson.ATTENDED).where(Lesson.student == people["alisa"]).execute()
    balances.record_payment(teacher, people["boris"], "5000", date(2026, 11, 9), now=NOW)
    page = students.student_list(EVERYONE, sort=sort, descending=descending)
    assert logins(page) == expected


def test_pages(app_ctx, create_student):
    User.insert_many([{"login": f"s{n:03}", "password_hash": "x", "role": User.STUDENT,
                       "first_name": "Ученик", "last_name": f"Номер{n:03}"}
                      for n in range(120)]).execute()
    first = students.student_list(EVERYONE, per_page=50)
    third = students.student_list(EVERYONE, page=3, per_page=50)
    assert (first.total, first.count, len(first.items)) == (120, 3, 50)
    assert logins(third) == [f"s{n:03}" for n in range(100, 120)]
    assert first.numbers() == [1, 2, 3]
    past_the_end = students.student_list(EVERYONE, page=9, per_page=50)
    assert (past_the_end.items, past_the_end.total) == ([], 120)
    assert students.student_list(students.StudentFilter("nobody"), page=1).total == 0


def test_student_totals(people, teacher):
    alisa = people["alisa"]
    lesson(teacher, alisa, datetime(2026, 11, 1, 7), price="1500", hours=1.5)
    lesson(teacher, alisa, datetime(2026, 12, 1, 7), price="1000")
    lesson(teacher, alisa, datetime(2026, 12, 2, 7), status=Lesson.PENDING)
    Lesson.update(attendance=Lesson.ATTENDED).where(Lesson.price == "1500").execute()
    balances.record_payment(teacher, alisa, "2000", date(2026, 11, 1), now=NOW)
    totals = students.student_totals(alisa, now=NOW)
    assert totals == students.Totals(lessons=3, confirmed=2, pending=1, upcoming=2,
                                  hours=Decimal("2.50"), worth=Decimal("2500.00"),
                                  paid=Decimal("2000.00"), charged=Decimal("1500.00"))
    assert totals.balance == Decimal("500.00")
    assert students.student_totals(people["gleb"], now=NOW) == students.Totals(
        hours=Decimal("0.00"), worth=Decimal("0.00"), paid=Decimal("0.00"),
        charged=Decimal("0.00"))
    history = students.student_lessons(alisa)
    assert [lesson.start.day for lesson in history.items] == [2, 1, 1]  # newest first


def test_get_student_refuses_the_teacher(people, teacher):
    assert students.get_student(people["alisa"].id).login == "alisa"
    with pytest.raises(students.NotAStudent):
        students.get_student(teacher.id)
    with pytest.raises(students.NotAStudent):
        students.get_student(9999)


# --- editing a student ----------------------------------------------------------------

def edit(teacher, student, **changes):
    fields = {"first_name": student.first_name, "last_name": student.last_name,
              "login": student.login, "email": student.email, "channel": student.channel,
              "goal_id": student.goal_id, "timezone": student.timezone, **changes}
    return students.update_student(teacher, student, **fields)


def test_edit_every_field_with_one_audit_entry(people, teacher):
    goal = Goal.create(name="ЕГЭ")
    alisa = edit(teacher, people["alisa"], first_name="Алиса", last_name="Смирнова",
                 login="Alisa.S", email="NEW@example.org", channel=User.TELEGRAM,
                 goal_id=goal.id, timezone="Asia/Yekaterinburg")
    assert (alisa.last_name, alisa.login, alisa.email, alisa.channel, alisa.goal_id,
            alisa.timezone) == ("Смирнова", "alisa.s", "new@example.org", User.TELEGRAM,
                                goal.id, "Asia/Yekaterinburg")
    [entry] = entries("student.update")
    assert entry.actor_id == teacher.id and entry.target_id == alisa.id
    assert entry.target_type == "users"
    changes = {c.field: (c.before, c.after) for c in audit.recorded(entry)}
    assert changes == {"last_name": ("Кузнецова", "Смирнова"), "login": ("alisa", "alisa.s"),
                       "email": ("alisa@example.org", "new@example.org"),
                       "channel": ("email", "telegram"), "goal": (None, goal.id),
                       "timezone": (None, "Asia/Yekaterinburg")}
    assert "password_hash" not in entry.before + entry.after


def test_edit_tells_the_student_of_a_new_login_and_channel(people, teacher):
    edit(teacher, people["alisa"], login="alisa2", channel=User.TELEGRAM)
    messages = {m.kind: m for m in Message.select()}
    assert set(messages) == {"login_changed", "channel_changed"}
    # The notice of the new channel goes to the old one; the rest to the new one
    # (held until the student links Telegram).
    assert messages["channel_changed"].address == "alisa@example.org"
    assert (messages["login_changed"].channel, messages["login_changed"].address) == (
        User.TELEGRAM, None)


def test_an_edit_that_changes_nothing_writes_nothing(people, teacher):
    edit(teacher, people["alisa"])
    assert entries() == [] and Message.select().count() == 0


@pytest.mark.parametrize("changes,error", [
    ({"login": "boris"}, accounts.LoginTaken),
    ({"login": "x"}, accounts.InvalidLogin),
    ({"email": "vera@example.org"}, accounts.EmailTaken),
    ({"email": "", "channel": User.EMAIL}, students.EmailRequired),
    ({"channel": "pigeon"}, students.InvalidChannel),
])
def test_edit_errors_change_nothing(people, teacher, changes, error):
    before = User.get_by_id(people["alisa"].id).__data__
    with pytest.raises(error):
        edit(teacher, people["alisa"], **changes)
    assert User.get_by_id(people["alisa"].id).__data__ == before
    assert entries() == []


def test_the_teacher_is_not_edited_here(people, teacher):
    with pytest.raises(students.NotAStudent):
        edit(teacher, teacher, login="boss")


def test_a_retired_goal_stays_and_no_other_can_be_set_by_mistake(people, teacher):
    goal = Goal.create(name="Старое", retired=True)
    User.update(goal=goal).where(User.id == people["alisa"].id).execute()
    alisa = edit(teacher, User.get_by_id(people["alisa"].id), first_name="Алиса")
    assert alisa.goal_id == goal.id


# --- passwords, deactivation, deletion ------------------------------------------------

def test_reset_password_revokes_sessions_and_tells_the_student(people, teacher):
    alisa = people["alisa"]
    accounts.start_session(alisa)
    accounts.start_session(teacher)
    credentials = students.reset_password(teacher, alisa)
    fresh = User.get_by_id(alisa.id)
    assert credentials.login == "alisa" and len(credentials.password) >= 16
    assert verify_password(fresh.password_hash, credentials.password)
    assert not LoginSession.of(alisa).exists() and LoginSession.of(teacher).count() == 1
    [message] = Message.select()
    assert message.kind == "password_changed" and credentials.password not in message.body_text
    [entry] = entries()
    assert entry.action == "student.password_reset"
    assert credentials.password not in (entry.before or "") + (entry.after or "")


def test_deactivate_and_reactivate(people, teacher):
    alisa = people["alisa"]
    accounts.start_session(alisa)
    assert students.deactivate_student(teacher, alisa, now=NOW)
    assert User.get_by_id(alisa.id).inactive_since == NOW
    assert not LoginSession.of(alisa).exists()  # logged out everywhere
    assert not students.deactivate_student(teacher, alisa)  # already: nothing more
    assert students.reactivate_student(teacher, alisa)
    assert User.get_by_id(alisa.id).inactive_since is None
    assert not students.reactivate_student(teacher, alisa)
    assert [e.action for e in entries()] == ["student.reactivate", "student.deactivate"]


def test_mass_deactivation_of_ticked_students(people, teacher):
    ids = (people["alisa"].id, people["boris"].id, people["vera"].id, teacher.id)
    selection = students.Selection(ids=ids)
    for login in ("alisa", "boris", "gleb", "teacher"):
        accounts.start_session(people.get(login, teacher))
    assert [s.login for s in students.to_deactivate(selection)] == ["alisa", "boris"]
    assert students.deactivate_students(teacher, selection, now=NOW) == 2
    assert {s.user.login for s in LoginSession.select()} == {"gleb", "teacher"}
    inactive = {u.login: u.inactive_since for u in User.select()}
    assert inactive["alisa"] == inactive["boris"] == NOW
    assert inactive["vera"] == datetime(2026, 10, 1)  # was inactive: kept its date
    assert inactive["teacher"] is None and inactive["gleb"] is None
    [entry] = entries()
    assert entry.action == "students.deactivate"
    assert audit.recorded(entry) == [
        audit.Change("selection", {"ids": list(ids)}, None),
        audit.Change("count", None, 2), audit.Change("inactive_since", None, str(NOW)),
        audit.Change("students", None, [people["alisa"].id, people["boris"].id])]


def test_mass_deactivation_of_everybody_matching(people, teacher):
    selection = students.Selection(filter=students.StudentFilter("Б"))  # Борис Орлов, Глеб Яковлев
    assert students.deactivate_students(teacher, selection) == 2
    assert {u.login for u in User.select().where(User.inactive_since.is_null())} == {
        "alisa", "teacher"}


def test_mass_deactivation_needs_someone(people, teacher):
    with pytest.raises(students.NothingSelected):
        students.deactivate_students(teacher, students.Selection(ids=()))
    assert students.deactivate_students(teacher, students.Selection(ids=(people["vera"].id,))) == 0
    assert entries() == []


def test_delete_takes_the_lessons_and_keeps_the_messages(people, teacher):
    alisa = people["alisa"]
    lesson(teacher, alisa, datetime(2026, 11, 1, 7), price="1500")
    lesson(teacher, alisa, datetime(2026, 12, 1, 7), status=Lesson.PENDING)
    kept = lesson(teacher, people["boris"], datetime(2026, 12, 2, 7))
    message = Message.create(user=alisa, channel="email", address="alisa@example.org",
                             kind="welcome", locale="ru", subject="s", body_text="t",
                             idempotency_key="k1")
    balances.record_payment(teacher, alisa, "800", date(2026, 11, 1), now=NOW)
    impact = students.deletion_impact(alisa, now=NOW)
    assert impact == students.DeletionImpact(lessons=2, upcoming=1, confirmed=1,
                                          worth=Decimal("1500.00"), paid=Decimal("800.00"),
                                          messages=1)
    students.delete_student(teacher, alisa)
    assert Payment.select().count() == 0
    assert User.get_or_none(User.id == alisa.id) is None
    assert [lesson.id for lesson in Lesson.select()] == [kept.id]
    assert Message.get_by_id(message.id).user_id is None
    [entry] = entries("student.delete")
    assert entry.action == "student.delete" and entry.target_id == alisa.id
    before = {c.field: c.before for c in audit.recorded(entry)}
    assert before["login"] == "alisa" and before["lessons"] == 2


def test_delete_refuses_the_teacher(teacher):
    with pytest.raises(students.NotAStudent):
        students.delete_student(teacher, teacher)
    assert User.get_or_none(User.id == teacher.id) is not None


# --- the lesson list ------------------------------------------------------------------

def test_lesson_filters(people, teacher):
    # Moscow is UTC+3: 23:30 UTC on the 30th is already 1 December there.
    late = lesson(teacher, people["alisa"], datetime(2026, 11, 30, 21, 30))
    early = lesson(teacher, people["boris"], datetime(2026, 11, 30, 20, 0),
                   status=Lesson.PENDING)
    other = lesson(teacher, people["alisa"], datetime(2026, 12, 5, 7))

    def ids(**fields):
        page = lesson_list.lesson_list(teacher, lesson_list.LessonFilter(zone="Europe/Moscow", **fields))
        return [lesson.id for lesson in page.items]

    assert ids() == [early.id, late.id, other.id]
    assert ids(first_day=date(2026, 12, 1)) == [late.id, other.id]
    assert ids(last_day=date(2026, 11, 30)) == [early.id]
    assert ids(first_day=date(2026, 12, 1), last_day=date(2026, 12, 1)) == [late.id]
    assert ids(status=Lesson.PENDING) == [early.id]
    assert ids(student="АЛИСА") == [late.id, other.id]
    assert ids(student="орлов", status=Lesson.CONFIRMED) == []
    page = lesson_list.lesson_list(teacher, lesson_list.LessonFilter(), per_page=2)
    assert (page.total, page.count, page.items[0].student.login) == (3, 2, "boris")


def test_reject_and_cancel_are_audited_by_the_booking_service(people, teacher, time_machine):
    time_machine.move_to(NOW, tick=False)
    pending = lesson(teacher, people["alisa"], datetime(2026, 12, 1, 7), status=Lesson.PENDING)
    confirmed = lesson(teacher, people["boris"], datetime(2026, 12, 2, 7))
    booking.reject_lesson(teacher, pending, "Не могу")
    with pytest.raises(booking.InvalidDetails):
        booking.cancel_lesson(teacher, confirmed, "")
    booking.cancel_lesson(teacher, confirmed, "Болею")
    assert Lesson.select().count() == 0
    assert [(e.action, e.target_id) for e in entries()] == [
        ("lesson.cancel", confirmed.id), ("lesson.reject", pending.id)]
    assert {c.field: c.after for c in audit.recorded(entries()[0])}["reason"] == "Болею"


# --- learning goals -------------------------------------------------------------------

def names(listed=None):
    return [(g.name, g.retired) for g in (listed or goals.goals_overview())]


def test_goals_are_created_in_order_and_unique(teacher):
    goals.create_goal(teacher, "  ЕГЭ  по   математике ")
    goals.create_goal(teacher, "ОГЭ")
    assert names() == [("ЕГЭ по математике", False), ("ОГЭ", False)]
    with pytest.raises(goals.GoalExists):
        goals.create_goal(teacher, "огэ")
    with pytest.raises(goals.InvalidGoalName):
        goals.create_goal(teacher, "   ")
    with pytest.raises(goals.InvalidGoalName):
        goals.create_goal(teacher, "я" * 201)
    assert [e.action for e in entries()] == ["goal.create", "goal.create"]


def test_rename_move_retire_restore(people, teacher):
    first, second, third = (goals.create_goal(teacher, name) for name in ("А", "Б", "В"))
    goals.rename_goal(teacher, second, "Бэ")
    with pytest.raises(goals.GoalExists):
        goals.rename_goal(teacher, second, "а")
    assert goals.move_goal(teacher, third, -1)
    assert not goals.move_goal(teacher, first, -1)  # the first cannot go higher
    assert names() == [("А", False), ("В", False), ("Бэ", False)]
    assert goals.move_goal(teacher, first, +1)
    assert names() == [("В", False), ("А", False), ("Бэ", False)]
    User.update(goal=third).where(User.id == people["alisa"].id).execute()
    goals.retire_goal(teacher, third)
    assert names() == [("В", True), ("А", False), ("Бэ", False)]
    assert [g.name for g in Goal.offered()] == ["А", "Бэ"]  # registration's list
    assert User.get_by_id(people["alisa"].id).goal_id == third.id  # still hers
    assert goals.goals_overview()[0].student_count == 1
    goals.restore_goal(teacher, third)
    assert [g.name for g in Goal.offered()] == ["В", "А", "Бэ"]
    assert [e.action for e in entries()] == ["goal.restore", "goal.retire", "goal.move",
                                             "goal.move", "goal.rename", "goal.create",
                                             "goal.create", "goal.create"]


# --- broadcasts -----------------------------------------------------------------------

def test_broadcast_reaches_every_active_student_in_the_app_and_on_their_channel(
        people, teacher):
    assert [u.login for u in broadcasts.broadcast_recipients()] == ["alisa", "boris", "gleb"]
    broadcast = broadcasts.send_broadcast(teacher, " Занятия  в мае ", "Строка 1\r\nСтрока 2",
                                     now=NOW)
    assert (broadcast.subject, broadcast.body, broadcast.recipients) == (
        "Занятия в мае", "Строка 1\nСтрока 2", 3)
    messages = {m.user_id: m for m in Message.select().where(Message.kind == "broadcast")}
    assert set(messages) == {people["alisa"].id, people["boris"].id, people["gleb"].id}
    # Глеб has no channel: the broadcast waits in his inbox, not on a provider.
    assert messages[people["gleb"].id].status == Message.HELD
    assert {i.user_id for i in InboxItem.select().where(InboxItem.kind == "broadcast")} == set(
        messages)
    alisa = messages[people["alisa"].id]
    assert alisa.idempotency_key == f"broadcast:{broadcast.id}:{people['alisa'].id}"
    assert alisa.subject == "Занятия в мае" and "Строка 1\nСтрока 2" in alisa.body_text
    assert "Строка 1<br>Строка 2" in alisa.body_html
    assert "Анна Петрова" in alisa.body_text
    [entry] = entries()
    assert (entry.action, entry.target_type, entry.target_id) == (
        "broadcast.send", "broadcasts", broadcast.id)


def test_the_html_of_a_broadcast_is_escaped(people, teacher):
    broadcasts.send_broadcast(teacher, "<b>Тема</b>", "<script>alert(1)</script>", now=NOW)
    message = Message.get(Message.kind == "broadcast")
    assert "<script>" not in message.body_html and "&lt;script&gt;" in message.body_html
    assert message.subject == "<b>Тема</b>"  # plain text stays as written
    assert "<script>alert(1)</script>" in message.body_text


def test_the_same_broadcast_is_not_sent_twice_in_a_row(people, teacher):
    broadcasts.send_broadcast(teacher, "Тема", "Текст", now=NOW)
    with pytest.raises(broadcasts.RepeatedBroadcast):
        broadcasts.send_broadcast(teacher, "Тема", "Текст", now=NOW + timedelta(minutes=9))
    broadcasts.send_broadcast(teacher, "Тема", "Текст", now=NOW + timedelta(minutes=11))
    assert Broadcast.select().count() == 2
    assert Message.select().count() == 6  # three students, twice


@pytest.mark.parametrize("subject,body,field", [
    ("", "Текст", "subject"), ("Тема", "  ", "body"), ("я" * 201, "Текст", "subject"),
    ("Тема", "я" * 5001, "body")])
def test_broadcast_checks(people, teacher, subject, body, field):
    with pytest.raises(broadcasts.InvalidBroadcast) as raised:
        broadcasts.send_broadcast(teacher, subject, body)
    assert raised.value.field == field
    assert Broadcast.select().count() == 0 and Message.select().count() == 0


def test_broadcast_history_counts_deliveries(people, teacher, create_student):
    extra = create_student(login="dina", channel=User.EMAIL, email="dina@example.org")
    first = broadcasts.send_broadcast(teacher, "Первая", "Текст", now=NOW)
    second = broadcasts.send_broadcast(teacher, "Вторая", "Текст", now=NOW)
    key = f"broadcast:{first.id}:"
    Message.update(status=Message.SENT).where(
        Message.idempotency_key.in_([key + str(people["alisa"].id), key + str(extra.id)])
    ).execute()
    Message.update(status=Message.FAILED).where(
        Message.idempotency_key == key + str(people["boris"].id)).execute()
    # Another kind of message whose key merely starts alike is not counted.
    Message.create(user=extra, channel="email", address="x", kind="broadcast", locale="ru",
                   subject="s", body_text="t", idempotency_key=f"broadcast:{first.id}0:1")
    history = broadcasts.broadcast_history()
    assert [(r.broadcast.subject, r.sent, r.waiting, r.failed, r.in_app)
            for r in history.items] == [("Вторая", 0, 3, 0, 1), ("Первая", 2, 0, 1, 1)]
    assert history.total == 2


# --- the audit log --------------------------------------------------------------------

def test_audit_record_and_snapshot(people, teacher):
    alisa = people["alisa"]
    entry = audit.record(teacher, "test.action", alisa, before={"a": 1},
                         after={"a": 2, "when": datetime(2026, 1, 1), "csrf_token": "x"})
    assert (entry.actor_id, entry.target_type, entry.target_id) == (teacher.id, "users",
                                                                      alisa.id)
    assert audit.recorded(entry) == [audit.Change("a", 1, 2),
                                     audit.Change("when", None, "2026-01-01 00:00:00")]
    snapshot = audit.snapshot(alisa)
    assert snapshot["login"] == "alisa" and "password_hash" not in snapshot
    assert audit.changes({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ({"b": 2}, {"b": 3})
    assert audit.actions() == ["test.action"]
    assert audit.record(None, "system").actor_id is None


def test_the_log_outlives_its_actor_and_target(people, teacher):
    alisa = people["alisa"]
    entry = audit.record(alisa, "lesson.cancel", alisa)
    User.delete().where(User.id == alisa.id).execute()
    entry = AuditEntry.get_by_id(entry.id)
    assert entry.actor_id is None and entry.target_id == alisa.id
