"""The call trace in a real browser: a team leader finds a call by number and reads it."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.simulator import Phone, flask_transport
from tests.harness import AUTH_TOKEN, PUBLIC_URL, browser_log_in, wait_for
from tests.webapp.test_security_headers import csp_problems

CALLER = "+8643262012345"


def test_a_team_leader_finds_a_call_by_number_and_reads_its_steps(
    every_role_site, browser: WebDriver
):
    app, live = every_role_site
    phone = Phone(
        flask_transport(app.test_client(), PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN, caller=CALLER
    )
    call = phone.call(["7", "-", "1", "*"])  # an invalid key and a silent round, in any hour

    browser_log_in(browser, live, "team_leader-user")
    browser.find_element(By.LINK_TEXT, "通话轨迹 Call trace").click()  # from the start page
    search = browser.find_element(By.NAME, "q")
    search.send_keys("0432 6201 2345")
    search.submit()
    wait_for(lambda: "q=" in browser.current_url)
    browser.find_element(By.PARTIAL_LINK_TEXT, call.sid).click()
    wait_for(lambda: browser.current_url.endswith(f"/calls/{call.sid}"))

    assert browser.find_element(By.TAG_NAME, "h1").text == "通话轨迹 Call trace"
    rows = browser.find_elements(By.CSS_SELECTOR, "table.steps tbody tr")
    kinds = [row.get_attribute("data-kind") for row in rows]
    assert kinds[0] == "incoming" and "invalid" in kinds and "silence" in kinds
    invalid = rows[kinds.index("invalid")]
    assert invalid.find_element(By.CSS_SELECTOR, "td.keys").text == "7"
    assert "+08:00" in rows[0].text  # the centre's time, with its offset
    assert csp_problems(browser) == []
