"""The teacher's reports, in four parts: the month's numbers (figures), the CSV and
the PDF made from them (csv, pdf; files bundles the two), and delivering the
monthly report to the teacher (sending).

Import the module you need (`from tutor.services.reports import figures`): nothing
is re-exported here, and a web worker loads none of it (nor WeasyPrint) until a
report is asked for (tests/test_worker_imports.py)."""
