"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.
Every value can be overridden from the environment."""
import multiprocessing
import os
import shutil
import tempfile

# All interfaces: in a container or behind the proxy in deploy/nginx, HOST narrows it.
bind = os.environ.get("BIND", f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}")  # nosec B104
# Two workers per core, one thread each. A request spends its time in Python (building
# and rendering the week), not waiting: threads in one worker only queue for the GIL.
# bench/load.py on 2 cores: the week fragment 81 req/s with 4 threads, 190 with 1;
# bookings 181/s and 258/s (bench/RESULTS.md).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# No control socket (gunicornc): reloads and stops are signals (HUP, TERM), and its
# default place, ~/.gunicorn, is not writable for the image's user (home: /app).
control_socket_disable = True
# The app logs every request itself, as JSON with its request id.
accesslog = None
errorlog = "-"
# gunicorn's heartbeat files (mkstemp, its own names) in memory, as its docs advise.
if os.path.isdir("/dev/shm"):  # nosec B108
    worker_tmp_dir = "/dev/shm"  # nosec B108

# Prometheus counters from every worker, merged at /metrics.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                      os.path.join(tempfile.gettempdir(), f"tutor-metrics-{os.getpid()}"))


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
