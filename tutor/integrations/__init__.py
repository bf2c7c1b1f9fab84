"""The outside services, each spoken to over HTTP. A module here imports requests (and
urllib3) in the functions that call out, not at the top: a web worker that never
calls out is spared them (tests/test_worker_imports.py)."""
