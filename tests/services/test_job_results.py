"""A job run said as a sentence for the teacher, not as its raw counts."""
import pytest
from flask_babel import force_locale

from tutor.models import User
from tutor.services import job_results


@pytest.mark.parametrize("job, counts, period, russian", [
    ("monthly_report", {"messages": 1}, "2026-12", "Отчёт за ноябрь 2026 отправлен на почту."),
    ("monthly_report", {"messages": 1}, "2026-01",
     "Отчёт за декабрь 2025 отправлен на почту."),
    ("monthly_report", {"messages": 0}, "2026-12",
     "Нового отчёта за ноябрь 2026 нет: он уже был составлен или отчитываться не о чем."),
    ("deliver_outbox", {"sent": 2, "retried": 0, "failed": 0, "held": 1, "waiting": 0}, "",
     "Отправлено 2 сообщения; 1 оставлено в приложении, пока нет способа связи."),
    ("deliver_outbox", {"sent": 0, "retried": 0, "failed": 0, "held": 0, "waiting": 0}, "",
     "Отправлять было нечего."),
    ("old_days_off", {"removed": 0}, "2026-12", "Прошедших выходных для удаления нет."),
    ("old_days_off", {"removed": 5}, "2026-12", "Удалено 5 прошедших выходных."),
    ("activity_check", {"deactivated": 1, "deleted": 0, "kept": 2}, "2026-12",
     "1 ученик отмечен неактивным; 2 ученика оставлены: у них впереди занятия."),
    ("purge_records", {"audit": 3, "messages": 0, "jobs": 1, "log_files": 0,
                       "attachment_files": 0, "inbox": 0}, "2026-12",
     "Удалено: 3 записи журнала действий; 1 запись о задаче."),
    ("purge_records", {"audit": 0, "trials": 2}, "2026-12",
     "Удалено: 2 заявки на пробное занятие с ответом больше 6 месяцев назад."),
    ("purge_records", {"audit": 0, "attachment_files": 0}, "2026-12",
     "Старых записей для удаления нет."),
    ("backup", {"rows": 120, "bytes": 20_000}, "2026-12",
     "Резервная копия (записей: 120, 19,5 кБ) создана и отправлена вам."),
    ("expire_lessons", {"expired": 1}, "", "1 неподтверждённая заявка истекла."),
    ("digests", {"queued": 3}, "", "Отправлены 3 ежедневные сводки."),
    ("reminders", {"queued": 0}, "", "Напоминаний на это время не было."),
    ("a_new_job", {"done": 1}, "", "done: 1"),  # a job nobody has described yet
])
def test_a_run_reads_as_a_sentence(app_ctx, teacher, job, counts, period, russian):
    User.update(channel=User.EMAIL, email="anna@example.org").execute()
    with force_locale("ru"):
        said = job_results.describe(job, counts, period)
    assert said == russian
    for raw in ("sent:", "held:", "removed:", "failed:"):
        assert raw not in said


def test_the_report_says_where_it_went(app_ctx, teacher):
    with force_locale("en"):
        assert job_results.describe("monthly_report", {"messages": 1}, "2026-12") == (
            "The report for November 2026 is waiting under the bell.")
        User.update(channel=User.TELEGRAM).execute()
        assert job_results.describe("monthly_report", {"messages": 1}, "2026-12") == (
            "The report for November 2026 is sent to your Telegram.")
