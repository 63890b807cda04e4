"""/stats/: who may open it, what it shows, its CSV, and the page in a real browser."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from ivr import db
from ivr.staff.models import ROLES
from tests.analytics.test_stats import TEN, add_call, self_service, step
from tests.harness import browser_log_in, log_in, wait_for
from tests.webapp.test_security_headers import csp_problems

pytestmark = pytest.mark.sqlite

PERIOD = "from=2026-11-23&to=2026-11-23"


def some_calls(session) -> None:
    """Two of 0432's calls at 10:00 (one self-service, one answered after 30 s) and a
    provincial one at 11:00 answered at once; a trial call."""
    self_service(session)
    add_call(
        session,
        TEN,
        step(6, "enqueue", "agent", queue="jilin", centre="0432", position=1),
        step(36, "queue-left", "agent", outcome="answered", waited=30, centre="0432"),
        step(36, "agent-dial", "agent", agent=1, centre="0432"),
        step(96, "agent-answered", "agent", agent=1, centre="0432"),
    )
    add_call(
        session,
        TEN + timedelta(hours=1),
        step(5, "agent-dial", "agent", agent=2, centre="provincial"),
        step(25, "agent-answered", "agent", agent=2, centre="provincial"),
        centre="0431",
    )
    self_service(session, trial=True)
    session.commit()


@pytest.fixture
def users(make_user):
    for role in ROLES:
        make_user(role, role)


def test_only_admins_and_team_leaders_see_the_statistics(app, users):
    for role in ROLES:
        client = app.test_client()
        log_in(client, role)
        expected = 200 if role in ("admin", "team_leader") else 403
        assert client.get("/stats/").status_code == expected, role
        assert client.get(f"/stats/stats.csv?{PERIOD}").status_code == expected, role
    assert app.test_client().get("/stats/").status_code == 302  # to the login page


def test_the_csv_by_day_hour_and_centre(app, users, data):
    with data() as session:
        some_calls(session)
    client = app.test_client()
    log_in(client, "team_leader")

    def table(by: str, centre: str = "") -> list[dict[str, str]]:
        response = client.get(f"/stats/stats.csv?{PERIOD}&by={by}&centre={centre}")
        assert response.mimetype == "text/csv"
        assert f"by-{by}.csv" in response.headers["Content-Disposition"]
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    [day, total] = table("day")
    assert day["day"] == "2026-11-23" and total["day"] == "total"
    assert (day["offered"], day["self_service"], day["answered"]) == ("3", "1", "2")
    assert day["average_answer_seconds"] == "15.0"  # (30 + 0) / 2
    assert day["service_level_percent"] == "50.0"  # 20 s by default: the provincial one
    assert day["longest_wait_seconds"] == "30"
    assert day["average_talk_seconds"] == "40.0"  # (60 + 20) / 2

    hours = {row["hour"]: row for row in table("hour", "0432")}
    assert len(hours) == 25  # every hour of the day, and the total
    assert (hours["10:00"]["offered"], hours["11:00"]["offered"]) == ("2", "0")
    assert hours["total"]["offered"] == "2"

    centres = {row["centre"]: row["offered"] for row in table("centre")}
    assert centres == {"0432": "2", "provincial": "1", "total": "3"}


def test_a_bad_period_is_said_and_the_last_week_shown(app, users):
    client = app.test_client()
    log_in(client, "admin")
    page = client.get("/stats/?from=2026-11-30&to=2026-11-01").get_data(as_text=True)
    assert "Invalid period" in page
    page = client.get("/stats/?from=yesterday&centre=9999").get_data(as_text=True)
    assert "Invalid date" in page and "Unknown centre" in page


def test_the_page_in_a_browser_charts_tables_print_and_no_csp_violation(every_role_site, browser):
    app, base = every_role_site
    with app.app_context():
        some_calls(db.session())
    browser_log_in(browser, base, "team_leader-user")

    browser.get(base + "/stats/")  # the start page's link: the last week
    assert browser.find_element(By.ID, "to").get_attribute("value")
    browser.get(f"{base}/stats/?{PERIOD}")
    wait_for(lambda: browser.execute_script("return document.readyState") == "complete")
    assert browser.find_element(By.TAG_NAME, "h1").text == "统计 Centre statistics"

    def row(table: str, attribute: str, value: str) -> list[str]:
        selector = f"#{table} tr[data-{attribute}='{value}'] td"
        return [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, selector)]

    assert row("by-centre", "centre", "0432")[:5] == ["2", "1", "0", "1", "1"]
    assert row("by-centre", "centre", "all")[0] == "3"
    assert row("by-day", "day", "2026-11-23")[0] == "3"
    assert row("by-hour", "hour", "10")[0] == "2" and row("by-hour", "hour", "11")[0] == "1"
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart-hours rect")
    assert len(bars) == 3  # 10:00 self-service and answered, 11:00 answered

    # One centre, chosen in the form: its own days and hours, the same period.
    Select(browser.find_element(By.ID, "centre")).select_by_value("provincial")
    browser.find_element(By.CSS_SELECTOR, "form.stats-filters button[type=submit]").click()
    wait_for(lambda: "centre=provincial" in browser.current_url)
    assert "from=2026-11-23" in browser.current_url
    assert row("by-day", "day", "2026-11-23")[0] == "1"
    assert row("by-hour", "hour", "11")[0] == "1" and not row("by-hour", "hour", "10")

    # Print: the button (a script of the site's own, no inline handler) prints the page.
    browser.execute_script("window.print = () => { document.body.dataset.printed = 'yes'; }")
    browser.find_element(By.CSS_SELECTOR, "button.print").click()
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-printed") == "yes"
    assert csp_problems(browser) == []
