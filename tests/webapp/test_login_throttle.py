"""Login throttling per username and per client address, shared by every worker."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ivr.clock import utcnow
from ivr.staff.models import AuditEvent
from tests.webapp.conftest import PASSWORD, csrf_token
from webapp import throttle

WRONG = "not the password"


@pytest.fixture(params=["database", "redis"])
def store(request, app):
    """Each store the throttle may count in; the Redis one on the test Redis database."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        app.extensions[throttle.EXTENSION] = throttle.RedisFailures(url)
    else:
        app.extensions[throttle.EXTENSION] = throttle.DatabaseFailures()
    return app.extensions[throttle.EXTENSION]


def attempt(app, username, password, address="10.0.0.1", **headers):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        headers=headers,
    )


def test_five_failures_lock_the_username_even_for_the_right_password(app, make_user, store):
    make_user("wang")
    for _ in range(throttle.MAX_PER_USERNAME):
        assert attempt(app, "wang", WRONG).status_code == 200

    refused = attempt(app, "wang", PASSWORD, address="10.0.0.2")

    assert refused.status_code == 429
    assert "Too many failed logins" in refused.get_data(as_text=True)
    make_user("li")
    assert attempt(app, "li", PASSWORD).status_code == 302  # other accounts are not locked


def test_twenty_failures_from_an_address_lock_it(app, make_user, store):
    make_user("wang")
    for n in range(throttle.MAX_PER_ADDRESS):
        assert attempt(app, f"guess{n}", WRONG, address="10.9.9.9").status_code == 200

    assert attempt(app, "wang", PASSWORD, address="10.9.9.9").status_code == 429
    assert attempt(app, "wang", PASSWORD, address="10.9.9.10").status_code == 302


def test_the_lock_lifts_after_fifteen_minutes(app, make_user, store, data, monkeypatch):
    make_user("wang")
    for _ in range(throttle.MAX_PER_USERNAME):
        attempt(app, "wang", WRONG)
    assert attempt(app, "wang", PASSWORD).status_code == 429

    later = store.clock() + throttle.WINDOW.total_seconds() + 1
    monkeypatch.setattr(store, "clock", lambda: later)
    with data() as session:  # the database store counts audit rows by their time
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "login_failed")
            .values(created_at=utcnow() - timedelta(minutes=16))
        )

    assert attempt(app, "wang", PASSWORD).status_code == 302


def test_a_failure_is_logged_and_audited_with_username_and_address(
    app, make_user, store, data, caplog
):
    make_user("wang")
    with caplog.at_level(logging.INFO):
        attempt(app, "wang", WRONG, address="192.0.2.7")
    (line,) = [r.getMessage() for r in caplog.records if "failed staff login" in r.getMessage()]
    assert "wang" in line and "192.0.2.7" in line
    with data() as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed"))
        assert event.object_id == "wang" and event.detail == {"address": "192.0.2.7"}
        assert event.user_id is None


def test_in_production_the_load_balancers_forwarded_address_counts(app, make_user, store):
    app.config["WEBAPP_PROXY_HOPS"] = 1
    make_user("wang")
    for n in range(throttle.MAX_PER_ADDRESS):
        # The client forges the first entry; the load balancer appends the real one.
        forged = {"X-Forwarded-For": f"203.0.113.{n}, 198.51.100.5"}
        assert attempt(app, f"guess{n}", WRONG, address="10.0.0.254", **forged).status_code == 200

    assert (
        attempt(
            app, "wang", PASSWORD, address="10.0.0.254", **{"X-Forwarded-For": "198.51.100.5"}
        ).status_code
        == 429
    )
    assert (
        attempt(
            app, "wang", PASSWORD, address="10.0.0.254", **{"X-Forwarded-For": "198.51.100.6"}
        ).status_code
        == 302
    )


def test_without_a_proxy_a_forged_forwarded_for_is_ignored(app):
    app.config["WEBAPP_PROXY_HOPS"] = 0
    with app.test_request_context(
        "/login", headers={"X-Forwarded-For": "1.2.3.4"}, environ_base={"REMOTE_ADDR": "10.1.1.1"}
    ):
        assert throttle.client_address() == "10.1.1.1"


def test_concurrent_attempts_count_against_each_other_in_redis(app, redis_url):
    store = throttle.RedisFailures(redis_url)
    with app.test_request_context():
        # Six guesses in flight at once (none settled yet): the sixth is refused.
        tokens = [store.begin("wang", f"10.0.0.{n}") for n in range(6)]
        assert all(tokens[:5]) and tokens[5] is None
        # A success does not count as a failure; failures stay counted.
        store.settle(tokens[0], "wang", "10.0.0.0", failed=False)
        assert store.begin("wang", "10.0.0.9") is not None
        assert store.begin("wang", "10.0.0.9") is None
