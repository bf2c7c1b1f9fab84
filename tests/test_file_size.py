"""File sizes read the way the reader says them, in their language, in the inbox and
in the backup notice alike."""
import pytest
from flask_babel import force_locale

from tutor.formatting import file_size


@pytest.mark.parametrize("size, russian, english", [
    (640, "640 Б", "640 byte"),
    (19_968, "19,5 кБ", "19.5 kB"),
    (1024, "1 кБ", "1 kB"),
    (1_310_720, "1,2 МБ", "1.2 MB"),
])
def test_a_size_in_each_language(app, size, russian, english):
    with app.test_request_context():
        with force_locale("ru"):
            assert file_size(size) == russian
        with force_locale("en"):
            assert file_size(size) == english
