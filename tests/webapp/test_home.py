"""The start page after login: each role's list is exactly the pages that role opens.

In a real browser (Debian's Chromium, a real server thread), as one user of
every role: the links the start page lists, each with a one-line description,
must be the web UI's pages without an object in their URL (a month's page:
this month's) that answer that user 200 with HTML, no more and no fewer.
"""

from __future__ import annotations

from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from flask import Flask
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.inspection import months
from ivr.staff.models import ROLES
from tests.harness import browser_log_in, wait_for
from webapp import PRIVATE


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is answered as it is, not followed


OPENER = build_opener(_NoRedirects)


def status(url: str, cookie: str) -> tuple[int, str]:
    """The status and content type ``url`` answers the logged-in browser's cookie."""
    try:
        with OPENER.open(Request(url, headers={"Cookie": f"session={cookie}"})) as response:
            return response.status, response.headers.get("Content-Type", "")
    except HTTPError as error:
        return error.code, error.headers.get("Content-Type", "")


def openable_pages(app: Flask, base: str, cookie: str) -> set[str]:
    """Every web UI page without an object in its URL that answers 200 with HTML."""
    month = months.current(app.config["SETTINGS"].timezone)
    found = set()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint not in app.extensions[PRIVATE] or "GET" not in (rule.methods or ()):
            continue
        if rule.arguments - {"month"} or rule.endpoint == "staff.home":
            continue
        path = rule.rule.replace("<month>", month)
        code, kind = status(base + path, cookie)
        if code == 200 and kind.startswith("text/html"):
            found.add(path)
    return found


def test_each_roles_start_page_lists_exactly_the_pages_it_opens(
    every_role_site, browser: WebDriver
):
    app, base = every_role_site
    for role in ROLES:
        browser.delete_all_cookies()
        browser_log_in(browser, base, f"{role}-user")
        assert urlsplit(browser.current_url).path == "/staff/"  # where a login lands

        listed = {}
        for item in browser.find_elements(By.CSS_SELECTOR, "main ul.pages > li"):
            link = item.find_element(By.TAG_NAME, "a")
            description = item.find_element(By.CSS_SELECTOR, ".detail").text
            assert link.text and description, (role, item.text)
            listed[urlsplit(link.get_attribute("href")).path] = link.text
        assert "no pages for your role" not in browser.page_source
        cookie = {c["name"]: c["value"] for c in browser.get_cookies()}["session"]
        assert set(listed) == openable_pages(app, base, cookie), role
        for path in listed:  # each opens, in the browser too
            assert status(base + path, cookie)[0] == 200, (role, path)
            browser.get(base + path)
            wait_for(lambda: browser.execute_script("return document.readyState") == "complete")
            assert browser.find_element(By.TAG_NAME, "h1").text, (role, path)
