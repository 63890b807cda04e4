"""Security headers on the web UI, none on the webhooks; a real browser sees no CSP violation.

The browser test logs in as each role (Debian's Chromium and ChromeDriver, a
real server thread), opens every page its navigation links to, and the pages
those link to (the inspection months, reports and an agent's result), reads the
browser's console log: a page that breaks the policy (an inline script
without the nonce, a ``style=`` attribute, a foreign resource) logs
"Refused to …" / "Content Security Policy" there.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from flask import render_template_string
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.staff.models import ROLES
from tests.harness import browser_log_in, wait_for

HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
)
DIRECTIVES = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def check_headers(headers) -> None:
    for name in HEADERS:
        assert headers.get(name), f"no {name}"
    policy = headers["Content-Security-Policy"]
    for directive in DIRECTIVES:
        assert directive in policy, directive
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


# --- without a browser ---------------------------------------------------------
def test_pages_carry_the_security_headers(staff_client, app):
    for url in ("/login", "/staff/voicemail", "/static/webapp/style.css"):
        with staff_client.get(url) as response:
            check_headers(response.headers)
    anonymous = app.test_client()
    check_headers(anonymous.get("/login").headers)
    check_headers(anonymous.get("/staff/voicemail").headers)  # the redirect too


def test_each_response_has_its_own_nonce_and_templates_can_use_it(app, staff_client):
    first = staff_client.get("/login").headers["Content-Security-Policy"]
    second = staff_client.get("/login").headers["Content-Security-Policy"]
    assert first != second
    with app.test_request_context("/staff/"):
        html = render_template_string('<script nonce="{{ csp_nonce() }}"></script>')
        response = app.process_response(app.make_response(html))
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in html


def test_the_webhooks_stay_lean(app):
    response = app.test_client().post("/voice/incoming", data={})
    for name in HEADERS:
        assert name not in response.headers, name


def test_templates_have_no_inline_style_and_only_nonced_inline_scripts():
    from pathlib import Path

    import webapp

    for template in Path(webapp.__file__).parent.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\sstyle\s*=", text), f"{template}: inline style="
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template}: inline event handler"
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'nonce="{{ csp_nonce() }}"' in tag, f"{template}: {tag}"


# --- a real browser ------------------------------------------------------------
def csp_problems(driver: WebDriver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def test_every_role_browses_its_pages_without_a_csp_violation(every_role_site, browser):
    _app, live = every_role_site
    browser.get(live + "/login")
    assert csp_problems(browser) == []
    check_headers(urlopen(live + "/login").headers)
    for role in ROLES:
        browser.delete_all_cookies()
        browser_log_in(browser, live, f"{role}-user")
        links = [
            a.get_attribute("href")
            for a in browser.find_elements(By.CSS_SELECTOR, "header.site nav a")
        ]
        assert len(links) >= 2, (role, links)  # the brand and at least one page
        # The navigation's pages, then the pages they link to (one level deeper).
        queue, seen = list(dict.fromkeys(links)), set()
        while queue and len(seen) < 40:
            link = queue.pop(0)
            if link in seen:
                continue
            seen.add(link)
            browser.get(link)
            wait_for(lambda: browser.execute_script("return document.readyState") == "complete")
            assert csp_problems(browser) == [], (role, link)
            if link in links:
                queue += [
                    href
                    for a in browser.find_elements(By.CSS_SELECTOR, "main a[href]")
                    if (href := a.get_attribute("href").split("#")[0]).startswith(live)
                    and not urlsplit(href).path.endswith((".csv", "/audio"))
                ]
            cookie = {c["name"]: c["value"] for c in browser.get_cookies()}["session"]
            # The browser does not show response headers: fetch the page with its cookie.
            request = Request(link, headers={"Cookie": f"session={cookie}"})
            with urlopen(request) as page:
                assert page.status == 200, (role, link)
                check_headers(page.headers)
