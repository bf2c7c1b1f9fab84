"""Several processes doing one thing at the same instant: the harness of the booking
races (tests/services/test_booking.py, test_series.py, test_pending_caps.py)."""
import os
import subprocess
import sys


def race(script, arguments):
    """Run the Python `script` once per argument list, each in a process of its own.

    Each process prints "ready" once it holds its database connection and then waits for
    a line on stdin; only when every one is ready are they all told "go", so that they
    really run together. Returns what each printed after that, stripped, in order."""
    env = {**os.environ, "SECRET_KEY": "test-secret-key"}
    processes = [subprocess.Popen([sys.executable, "-c", script, *map(str, args)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
                 for args in arguments]
    try:
        for process in processes:  # every one connected and waiting
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert all(p.returncode == 0 for p in processes), [err for _, err in results]
    return [out.strip() for out, _ in results]
