import pytest

from tutor.models import User


def test_start_page_is_russian_by_default(client, teacher):
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text
    assert "Войти" in page.text


def test_login_page_renders_form(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="login"' in page.text and 'name="password"' in page.text
    assert 'autocomplete="current-password"' in page.text


def test_teacher_logs_in_and_out(client, auth, teacher):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert 'href="/teacher/availability"' in home.text
    assert "Анна Петрова" in home.text

    response = auth.logout()
    assert response.status_code == 302
    assert 'href="/teacher/availability"' not in client.get("/").text


def test_login_records_time_and_reactivates(client, auth, create_student, app):
    from datetime import datetime

    student = create_student(inactive_since=datetime(2026, 1, 1))
    auth.login(student.login, "Student-test-password-1")
    with app.app_context():
        fresh = User.get_by_id(student.id)
    assert fresh.inactive_since is None
    assert fresh.last_login_at is not None


def _login_failed(html):
    start = html.index('<dialog class="notice login-failed"')
    return html[start:html.index("</dialog>", start)]


def test_wrong_login_and_wrong_password_say_the_same(client, auth, teacher):
    wrong_password = auth.login("teacher", "wrong-password")
    unknown_login = auth.login("nobody", "Tutor-test-password-1")
    assert wrong_password.status_code == unknown_login.status_code == 200
    assert "Неверный логин или пароль." in _login_failed(wrong_password.text)
    assert _login_failed(wrong_password.text) == _login_failed(unknown_login.text)


def test_a_wrong_login_is_an_accessible_dialog_that_shows_without_javascript(client, auth,
                                                                             teacher):
    notice = _login_failed(auth.login("teacher", "wrong-password").text)
    # Open in the HTML itself (shown without JavaScript; tutor.js makes it modal),
    # named by its title, described by the text, closed by a button of its own.
    assert 'open data-modal data-return-focus="password" role="alertdialog"' in notice
    assert 'aria-labelledby="login-failed-title" aria-describedby="login-failed-text"' in notice
    assert '<h2 id="login-failed-title">Не удалось войти</h2>' in notice
    assert '<p id="login-failed-text">Неверный логин или пароль.</p>' in notice
    assert '<form method="dialog"' in notice and "autofocus" in notice
    # Outside the login form (a form inside a form is dropped by the parser), and the
    # login typed stays; the field the focus goes back to exists.
    page = auth.login("teacher", "wrong-password").text
    assert page.index("</dialog>") < page.index('<form id="login-form"')
    assert 'id="password"' in page and 'value="teacher"' in page


def test_a_form_with_empty_fields_opens_no_dialog(client):
    response = client.submit("/login", {"login": "", "password": ""})
    assert "login-failed" not in response.text
    assert "Введите логин." in response.text


def test_login_is_case_insensitive(client, auth, teacher):
    assert auth.login("  Teacher ").status_code == 302


def test_empty_form_shows_field_errors_in_russian(client):
    response = client.submit("/login", {"login": "", "password": ""})
    assert response.status_code == 200
    assert "Введите логин." in response.text
    assert "Введите пароль." in response.text
    assert 'aria-invalid="true"' in response.text


@pytest.mark.parametrize("target,expected", [
    ("/login?x=1", "/login?x=1"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
])
def test_next_only_leads_within_the_site(client, auth, teacher, target, expected):
    response = auth.login(next=target)
    assert response.headers["Location"] == expected


def test_post_without_csrf_token_is_refused(client, teacher, app):
    response = client.post("/login", data={"login": "teacher",
                                           "password": "Tutor-test-password-1"})
    assert response.status_code == 400
    assert "Форма устарела" in response.text


def test_logout_is_post_only(client, auth, teacher):
    auth.login()
    assert client.get("/logout").status_code == 405
    assert "Выйти" in client.get("/").text


def test_htmx_login_leaves_with_hx_redirect(client, teacher):
    token = client.csrf_token("/login")
    response = client.post("/login", data={"csrf_token": token, "login": "teacher",
                                           "password": "Tutor-test-password-1"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_language_switch_is_remembered(client):
    response = client.submit("/language/en", {"next": "/login"})
    assert response.headers["Location"] == "/login"
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Log in" in page.text


def test_language_chosen_before_login_is_saved_on_the_account(client, auth, teacher, app):
    client.submit("/language/en")
    auth.login()
    with app.app_context():
        assert User.get_by_id(teacher.id).locale == "en"
    auth.logout()
    client.submit("/language/ru")
    auth.login()
    assert '<html lang="ru">' in client.get("/").text


def test_unknown_language_is_ignored(client):
    client.submit("/language/xx")
    assert '<html lang="ru">' in client.get("/").text


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_login_attempts_are_rate_limited(client, teacher):
    token = client.csrf_token("/login")
    statuses = [client.post("/login", data={"csrf_token": token, "login": "teacher",
                                            "password": "nope"}).status_code
                for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert "Слишком много попыток" in client.post("/login", data={"csrf_token": token}).text
