"""The production app plus one route for the benchmarks: GET /bench/bare answers a
fixed string, through the same gunicorn, Flask and request hooks as every page (the
ceiling of this stack on this machine). Only bench/load.py and bench/machinery.py
serve it:

    gunicorn -c deploy/gunicorn.conf.py bench.bare_wsgi:app

BENCH_WITHOUT=prepared,flock (bench/without.py) runs it without those pieces of the
performance machinery.
"""
import os

from bench import without
from wsgi import app


def bare():
    return "ok"


app.add_url_rule("/bench/bare", "bench_bare", bare)
without.switch_off(without.parse(os.environ.get("BENCH_WITHOUT")))
