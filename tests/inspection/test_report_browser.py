"""The monthly report in a real browser (Debian's Chromium, a real server thread).

At a 1366×768 window the whole table, trend column included, fits the
window; the agent column sorts by number (2 before 10); the centre picker
names the centres of flows/directory.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ivr import db
from ivr.agents.models import Agent
from ivr.inspection.models import AgentMonthResult, ResultStatus
from ivr.inspection.months import recent
from ivr.inspection.rubric import current as current_grading
from ivr.staff.models import User
from tests.harness import browser_log_in, wait_for
from tests.inspection.conftest import MONTH, PASSWORD

# agent number -> centre; inserted out of order, numbers of different lengths
SCREENSHOT = Path("/tmp/report-1366.png")
AGENTS = {"10": "0431", "1001": "0431", "2": "0431", "100": "0431", "3": "0432"}


@pytest.fixture
def live(make_live_app, serve) -> str:
    """A team leader and agents with six months of results each, on 127.0.0.1:<free port>."""
    app = make_live_app()
    with app.app_context():
        session = db.session()
        grading = current_grading()
        leader = User(username="zhao", role="team_leader", display_name="赵班长")
        leader.set_password(PASSWORD)
        session.add(leader)
        for index, (number, centre) in enumerate(AGENTS.items()):
            user = User(username=f"agent{number}", role="agent", display_name=f"欧阳咨询员{number}")
            user.set_password(PASSWORD)
            session.add(user)
            session.flush()
            agent = Agent(user_id=user.id, centre=centre, agent_number=number, phone="sip:1@x")
            session.add(agent)
            session.flush()
            for back, month in enumerate(recent(MONTH, 6)):
                total = 8000 + 250 * index + 150 * back
                session.add(
                    AgentMonthResult(
                        month=month,
                        agent_id=agent.id,
                        rubric_id=grading.rubric.id,
                        rubric_digest=grading.digest,
                        status=ResultStatus.PARTIAL if index % 2 else ResultStatus.COMPLETE,
                        total_x100=total,
                        grade="B",
                        sections={s.id: int(s.points * 80) for s in grading.rubric.sections},
                    )
                )
        session.commit()
    return serve(app)


@pytest.fixture
def leader(live: str, browser: WebDriver) -> WebDriver:
    """The browser in a 1366×768 window, logged in as the team leader."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
    )
    browser_log_in(browser, live, "zhao")
    return browser


def agent_column(driver: WebDriver) -> list[str]:
    return [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#report tbody td:first-child")]


def test_the_whole_report_table_fits_a_1366_pixel_window(live, leader):
    leader.get(f"{live}/inspection/{MONTH}/report?centre=0431")
    leader.save_screenshot(str(SCREENSHOT))
    assert leader.execute_script("return window.innerWidth") == 1366
    width = leader.execute_script("return document.documentElement.clientWidth")  # no scrollbar
    # Every cell of the table, the trend column's sparklines included, ends inside the window.
    right_edges = leader.execute_script(
        "return Array.from(document.querySelectorAll('#report th, #report td, #report svg'))"
        ".map(e => [e.textContent.trim().slice(0, 20), e.getBoundingClientRect().right])"
    )
    assert len(right_edges) > 40
    cut = [(text, right) for text, right in right_edges if right > width]
    assert cut == []
    trend = leader.find_elements(By.CSS_SELECTOR, "#report tbody td:last-child svg.spark")
    assert len(trend) == 4
    assert leader.execute_script("return document.documentElement.scrollWidth") <= width


def test_agent_numbers_sort_as_numbers(live, leader):
    leader.get(f"{live}/inspection/{MONTH}/report?centre=0431")
    assert agent_column(leader) == ["#2", "#10", "#100", "#1001"]
    heading = leader.find_element(By.CSS_SELECTOR, "#report thead th:first-child button.sort")
    heading.click()
    wait_for(lambda: agent_column(leader) == ["#2", "#10", "#100", "#1001"])
    heading.click()
    wait_for(lambda: agent_column(leader) == ["#1001", "#100", "#10", "#2"])


def test_the_centre_picker_names_the_centres(live, leader):
    leader.get(f"{live}/inspection/{MONTH}/report")
    options = {
        option.get_attribute("value"): option.text
        for option in leader.find_elements(By.CSS_SELECTOR, "select#centre option")
    }
    assert options == {"0431": "长春市", "0432": "吉林市", "all": "全部 All"}
    assert "长春市" in leader.find_element(By.TAG_NAME, "h1").text
    picker = leader.find_element(By.ID, "centre")
    picker.find_element(By.CSS_SELECTOR, "option[value='0432']").click()
    leader.find_element(By.CSS_SELECTOR, ".toolbar form button[type=submit]").click()
    wait_for(lambda: "centre=0432" in leader.current_url)
    assert agent_column(leader) == ["#3"]
    assert "吉林市" in leader.find_element(By.TAG_NAME, "h1").text
