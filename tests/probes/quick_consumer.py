"""`huey_consumer` with its scheduler's minute shortened to SCHEDULER_TICK seconds, so a
test sees the periodic tasks (and the scheduler lease's renewals) every few seconds
instead of every minute. Everything else is the real consumer: same arguments."""
import os
import sys

from huey import consumer
from huey.bin.huey_consumer import consumer_main

consumer.Scheduler.periodic_task_seconds = float(os.environ["SCHEDULER_TICK"])
sys.argv[0] = "huey_consumer"
sys.path.insert(0, os.getcwd())  # where tasks.py is, as for the huey_consumer script
consumer_main()
