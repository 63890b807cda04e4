"""Try it: a team leader walks a trial call through the running flow in a real browser.

The keypad's keys go to the server, which signs the webhooks as the platform
would; the page shows what the caller hears and highlights where the call is.
Afterwards nothing a real call leaves exists (ticket, fax, lockout count,
agent claim, message) and the figures are as before. No CSP violation.
"""

from __future__ import annotations

from datetime import date, datetime

import time_machine
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import func, select

from ivr import db
from ivr.accounts.models import LookupLock, PersonalAccount
from ivr.agents.models import Agent
from ivr.agents.presence import presence
from ivr.analytics.traffic import Period, traffic
from ivr.calls.models import Call
from ivr.complaints.models import Ticket
from ivr.fax.models import FaxRequest
from ivr.voicemail.models import Voicemail
from tests.harness import CENTRE_TZ, browser_log_in, wait_for
from tests.webapp.test_security_headers import csp_problems

MONDAY_MORNING = datetime(2026, 11, 30, 10, 0, tzinfo=CENTRE_TZ)  # staffed hours


def side_effects(app) -> dict[str, object]:
    """What a real call through options 4, 3, 5 and 0 would have left behind."""
    with app.app_context():
        session = db.session()
        agent = session.scalars(select(Agent)).one()
        return {
            "tickets": session.scalar(select(func.count()).select_from(Ticket)),
            "faxes": session.scalar(select(func.count()).select_from(FaxRequest)),
            "messages": session.scalar(select(func.count()).select_from(Voicemail)),
            "failed_passwords": session.scalar(select(func.sum(LookupLock.failed_attempts))) or 0,
            "agent": presence().states([agent])[agent.id].status,
            "calls": traffic(
                session,
                Period(date(2026, 11, 30), date(2026, 11, 30)),
                CENTRE_TZ,
                app.extensions["ivr.flows"].directory,
            ).calls,
        }


def test_a_trial_call_walks_the_flow_and_leaves_nothing_behind(every_role_site, browser):
    app, base = every_role_site
    with app.app_context():  # someone to claim, and an account to lock
        session = db.session()
        account = PersonalAccount(personal_number="220102199001011234", name="张三")
        account.set_password("123456")
        session.add(account)
        agent = session.scalars(select(Agent)).one()
        presence().set_status(agent, "available", force=True)
        session.commit()

    with time_machine.travel(MONDAY_MORNING, tick=True):
        before = side_effects(app)
        browser_log_in(browser, base, "team_leader-user")
        browser.get(base + "/flows/")
        wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "svg g.flow-node"))

        # a node's settings and prompts
        node(browser, "main_menu").click()
        panel = browser.find_element(By.ID, "node-panel")
        wait_for(lambda: panel.is_displayed())
        assert "语音服务请按1" in panel.text and "info_menu" in panel.text

        browser.find_element(By.CSS_SELECTOR, "#try-start button[type=submit]").click()
        step = Steps(browser)
        assert "欢迎拨打吉林省12333" in step.wait()
        assert step.current() == "main_menu"

        # option 4: a wrong password, three times, then back to the menu
        assert "个人编号" in step.keys("4")
        assert step.current() == "account"
        for _ in range(3):
            step.keys("220102199001011234#")
            step.keys("000000")
        assert "试拨输错密码不计次数" in notes(browser)
        # option 3 (from the main menu again): a fax, confirmed
        go_to_main_menu(step)
        step.keys("3")
        assert step.current() == "fax"
        step.keys("1")
        step.keys("043188887777#")
        heard = step.keys("1")
        assert "试拨不发送传真" in notes(browser)
        assert step.current() == "continue", heard
        # option 5: the complaint desk (nobody answers a trial call), then a message
        go_to_main_menu(step)
        heard = step.keys("5")
        assert "试拨不接通" in heard and "试拨不录音" in heard
        assert "试拨不开立工单" in notes(browser)
        # option 0: an agent is free, but a trial call claims nobody
        go_to_main_menu(step)
        step.keys("0")
        assert step.current() == "agent"  # Changchun callers choose their centre first
        step.keys("2")
        assert step.current() == "agent_overflow"
        assert "试拨不占用座席" in notes(browser)
        browser.find_element(By.ID, "try-hangup").click()
        wait_for(lambda: "通话结束" in browser.find_element(By.ID, "try-heard").text)
        assert not browser.find_elements(By.CSS_SELECTOR, "g.flow-node.current")

        assert side_effects(app) == before
        assert before["agent"] == "available" and before["calls"] == 0
        with app.app_context():
            (trial,) = db.session().scalars(select(Call)).all()
            assert trial.trial and trial.status == "completed"
        assert csp_problems(browser) == []


def node(browser: WebDriver, node_id: str):
    return next(
        g
        for g in browser.find_elements(By.CSS_SELECTOR, "svg g.flow-node")
        if g.get_attribute("data-node") == node_id
    )


def notes(browser: WebDriver) -> str:
    return browser.find_element(By.ID, "try-notes").text


class Steps:
    """Keys pressed on the page's keypad, and what the caller heard after them."""

    def __init__(self, browser: WebDriver) -> None:
        self.browser = browser
        self.seen = 0

    def lines(self):
        return self.browser.find_elements(By.CSS_SELECTOR, "#try-heard li")

    def wait(self) -> str:
        """What the caller heard since the last step, once the server answered."""
        wait_for(lambda: len(self.lines()) > self.seen)  # a step's lines come all at once
        new = self.lines()[self.seen :]
        self.seen += len(new)
        return "\n".join(line.text for line in new)

    def keys(self, keys: str) -> str:
        for key in keys:
            self.browser.find_element(
                By.CSS_SELECTOR, f'.keypad button.key[data-key="{key}"]'
            ).click()
        return self.wait()

    def current(self) -> str:
        found = self.browser.find_elements(By.CSS_SELECTOR, "g.flow-node.current")
        return found[0].get_attribute("data-node") if found else ""


def go_to_main_menu(step: Steps) -> None:
    """From the "continue" menu: 1, which is the main menu in staffed hours."""
    if step.current() == "continue":
        step.keys("1")
    assert step.current() == "main_menu"
