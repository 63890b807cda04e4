"""Real processes: gunicorn web servers, `ivr worker`s and private Redis servers.

Every process gets an explicit environment (nothing from the developer's shell or
``instance/ivr.env``), its own session (process group) and a log file under the
test's tmp dir; every one is stopped when the test ends, whatever happened.
The servers commit to the test schema for real, so ``clean_tables`` empties
every table afterwards (after the processes are gone).

Both web servers of a test share one IVR_PUBLIC_URL, as they would behind one
load balancer: a request signed for the public URL is valid on either.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.settings import load_settings
from tests.harness import (
    RedisServer,
    app_environ,
)


@pytest.fixture
def web_app(clean_tables, database_url: str, tmp_path: Path):
    """``web_app(**env)``: the app in this process, committing to the test schema."""
    from ivr import db
    from ivr.app import create_app

    apps = []

    def make(**extra: str):
        environ = app_environ(
            database_url, tmp_path, IVR_MEDIA_HOSTS="api.twilio.com,127.0.0.1", **extra
        )
        app = create_app({"SETTINGS": load_settings(environ)})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine().dispose()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (started), stopped at the end.

    Not the shared 127.0.0.1:6379 of ``redis_url``: another test run on this machine
    flushes that database whenever one of its tests starts or ends.
    """
    server = RedisServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.close()
