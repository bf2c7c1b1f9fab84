"""The PDFs the app makes, read back: the text of each page, every run of spaces
(the no-break ones included) made one plain space."""
import io
import re

from pypdf import PdfReader


def pdf_pages(data):
    return [re.sub(r"[\s\u00a0\u202f]+", " ", page.extract_text())
            for page in PdfReader(io.BytesIO(data)).pages]
