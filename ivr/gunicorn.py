"""Gunicorn settings for the web process (`gunicorn -c python:ivr.gunicorn ...`).

Threaded workers: each webhook is short and mostly waits on the database, and
Twilio gives up after 15 s, so a request never runs longer than that.
"""

import os
import tempfile

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 15
graceful_timeout = 10
keepalive = 5
accesslog = "-"
logger_class = "ivr.access_log.MaskedLogger"  # numbers in URLs (call state) are masked
# Several masters may run on one host (blue/green, tests): no shared ~/.gunicorn socket.
control_socket_disable = True

# Metrics from every worker are summed on /metrics.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ivr-metrics-")


def post_worker_init(worker) -> None:
    """The app is loaded: keep its objects out of garbage collection.

    Full collections would otherwise walk every one of them (flows, SQLAlchemy,
    twilio) on the webhooks' time: about a tenth of a second each, in a p99.
    """
    import gc

    from ivr import jobs

    gc.freeze()
    jobs.start(worker.wsgi)  # the embedded job queue's thread (no Redis); CLI commands only queue


def worker_exit(server, worker) -> None:
    """Stop the job queue's thread now: scheduled retries never hold a worker's exit."""
    from ivr import jobs

    if getattr(worker, "wsgi", None) is not None:
        jobs.stop(worker.wsgi, timeout=2)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
