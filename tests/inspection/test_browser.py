"""A real browser grades a sampled call: Debian's Chromium and ChromeDriver, a real server thread.

Logs in, opens the call, watches the live preview follow the form, applies the
transcript's suggested deduction, saves and finds the figures in the report.
Leaves a screenshot of the grading page at /tmp/grading.png.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import select

from ivr import db
from ivr.agents.models import Agent, CallRecording
from ivr.inspection.models import SampledCall
from ivr.inspection.sampling import active_samples, draw_month
from ivr.staff.models import AuditEvent, User
from tests.harness import browser_log_in, wait_for
from tests.inspection.conftest import IN_MONTH, MONTH, PASSWORD

SCREENSHOT = Path("/tmp/grading.png")


@pytest.fixture
def live(make_live_app, rendered, serve) -> dict:
    """The app on the committed test database, served by werkzeug on 127.0.0.1:<free port>."""
    app = make_live_app()
    with app.app_context():
        session = db.session()
        inspector = User(username="li", role="inspector", display_name="李娜")
        agent_user = User(username="agent1001", role="agent", display_name="王芳")
        admin = User(username="boss", role="admin", display_name="管理员")
        for user in (inspector, agent_user, admin):
            user.set_password(PASSWORD)
        session.add_all([inspector, agent_user, admin])
        session.flush()
        agent = Agent(user_id=agent_user.id, centre="0431", agent_number="1001", phone="sip:1001@x")
        session.add(agent)
        session.flush()
        info = rendered["forbidden"]
        for n in range(3):
            sid = "RE" + hashlib.sha256(f"browser:{n}".encode()).hexdigest()[:32]
            relative = f"agent-call/test/{sid}.wav"
            target = app.config["SETTINGS"].recordings_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(info["path"], target)
            session.add(
                CallRecording(
                    call_sid="CA" + sid[2:],
                    agent_id=agent.id,
                    caller="+8613904311234",
                    started_at=IN_MONTH,
                    recording_sid=sid,
                    download_status="downloaded",
                    audio_path=relative,
                    duration=info["duration"],
                    transcript_status="done",
                    transcript=info["transcript"],
                    transcript_text=info["transcript"]["text"],
                )
            )
        session.flush()
        draw_month(
            session,
            MONTH,
            inspector,
            app.config["SETTINGS"].timezone,
            rubric_id="12333-monthly",
            seed=1,
        )
        session.commit()
        sample_id = active_samples(session, MONTH)[0].id
    return {"app": app, "url": serve(app), "sample": sample_id}


def click(driver: WebDriver, element) -> None:
    """Scroll to the middle first: the form's sticky score bar covers the top of the window."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def text_of(driver: WebDriver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def test_an_inspector_grades_a_call_in_a_real_browser(live, browser):
    url, sample_id = live["url"], live["sample"]
    browser_log_in(browser, url, "li")
    assert not browser.find_elements(By.ID, "read-only")

    browser.get(f"{url}/inspection/samples/{sample_id}")
    service = "output[data-total-for=service]"
    policy = "output[data-total-for=policy]"
    forbidden = browser.find_element(By.ID, "f-forbidden_phrase")
    # The transcript heard two forbidden phrases: the deduction comes pre-ticked.
    assert forbidden.is_selected()
    wait_for(lambda: text_of(browser, service) == "27.00")
    assert text_of(browser, policy) == "35.00"

    # Overriding the suggestion changes the live preview at once ...
    click(browser, forbidden)
    wait_for(lambda: text_of(browser, service) == "30.00")
    assert "overridden" in browser.find_element(By.ID, "item-forbidden_phrase").get_attribute(
        "class"
    )
    # ... and applying the suggestion from the transcript panel puts it back.
    click(browser, browser.find_element(By.CSS_SELECTOR, "button[data-apply=forbidden_phrase]"))
    wait_for(lambda: forbidden.is_selected())
    wait_for(lambda: text_of(browser, service) == "27.00")
    click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=i-accuracy][value=from_94_1]"))
    wait_for(lambda: text_of(browser, policy) == "34.00")

    # Clicking the moment a phrase was heard seeks the recording there.
    wait_for(
        lambda: browser.execute_script("return document.getElementById('player').readyState >= 1")
    )
    seek = browser.find_element(By.CSS_SELECTOR, ".hint-violation button.seek")
    moment = float(seek.get_attribute("data-t"))
    click(browser, seek)
    position = wait_for(
        lambda: browser.execute_script("return document.getElementById('player').currentTime")
    )
    assert abs(float(position) - moment) < 1.5

    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(SCREENSHOT))

    click(browser, browser.find_element(By.ID, "save"))
    wait_for(lambda: f"/inspection/{MONTH}/samples" in browser.current_url)
    assert "已保存 Saved call" in browser.find_element(By.CSS_SELECTOR, ".flash").text

    # The report: one graded call, no team-leader entry yet (full marks):
    # policy 35×0.4 + 34×0.6 = 34.40; service 30×0.4 + 27×0.6 = 28.20; other sections 35.
    browser.get(f"{url}/inspection/{MONTH}/report")
    row = browser.find_element(By.CSS_SELECTOR, "#report tbody tr")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[0] == "#1001" and cells[1] == "王芳"
    assert cells[2:4] == ["34.40", "28.20"]
    assert cells[9] == "97.60" and cells[10].startswith("A")
    assert browser.find_element(By.CSS_SELECTOR, "svg.chart")

    with live["app"].app_context():
        session = db.session()
        sample = session.get(SampledCall, sample_id)
        assert sample.entries["forbidden_phrase"] is True
        assert sample.entries["accuracy"] == "from_94_1"
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"view", "listen", "grade"} <= actions


def test_an_admin_sees_why_the_grading_form_is_read_only(live, browser):
    browser_log_in(browser, live["url"], "boss")
    browser.get(f"{live['url']}/inspection/samples/{live['sample']}")
    inputs = browser.find_elements(By.CSS_SELECTOR, "#grade-form input:not([type=hidden])")
    assert inputs and all(not field.is_enabled() for field in inputs)
    assert not browser.find_elements(By.ID, "save")
    # One line under the heading, above the recording and the form, says why.
    notice = browser.find_element(By.ID, "read-only")
    assert notice.is_displayed()
    assert notice.text == (
        "只读：只有抽取此通话的质检员（李娜）可以评分。 "
        "Read-only: only the inspector who drew this call (李娜) grades it."
    )
    heading = browser.find_element(By.TAG_NAME, "h1")
    top = notice.rect["y"]
    assert heading.rect["y"] < top < browser.find_element(By.ID, "h-listen").rect["y"]
    assert top < browser.find_element(By.ID, "grade-form").rect["y"]
    assert notice.rect["height"] < 2 * heading.rect["height"]  # one line at this width
