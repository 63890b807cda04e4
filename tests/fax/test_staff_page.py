"""The staff list of fax requests: what, to whom (masked), when, and how delivery went."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from ivr import db
from ivr.fax.models import FaxRequest
from ivr.staff.models import User
from tests.harness import PASSWORD, log_in


@pytest.fixture
def make_user(app):
    def make(username: str, role: str) -> None:
        with app.app_context():
            user = User(username=username, role=role)
            user.set_password(PASSWORD)
            db.session().add(user)
            db.session().commit()

    return make


@pytest.fixture
def requests_made(app):
    rows = [
        FaxRequest(
            call_sid="CA" + "1" * 32,
            document_key="1",
            document_title="养老保险待遇申领须知",
            fax_number="043188881234",
            status="sent",
            attempts=1,
            provider="outbox",
            created_at=datetime(2026, 11, 23, 2, 5, tzinfo=UTC),
            sent_at=datetime(2026, 11, 23, 2, 6, tzinfo=UTC),
        ),
        FaxRequest(
            call_sid="CA" + "2" * 32,
            document_key="3",
            document_title="工伤认定申请材料",
            fax_number="01066668888",
            status="failed",
            attempts=4,
            provider="hylafax",
            error="sendfax exited 1: Can not reach server",
            created_at=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
        ),
        FaxRequest(
            call_sid="CA" + "3" * 32,
            document_key="2",
            document_title="失业保险金申领材料清单",
            fax_number="043266661234",
            status="queued",
            created_at=datetime(2026, 11, 23, 4, 0, tzinfo=UTC),
        ),
    ]
    with app.app_context():
        db.session().add_all(rows)
        db.session().commit()


def rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.parametrize("role", ["staff", "team_leader", "admin"])
def test_staff_see_each_request_with_its_status(client, make_user, requests_made, role):
    make_user("wang", role)
    assert log_in(client, "wang").status_code == 302
    response = client.get("/selfservice/fax")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store, private"
    html = response.get_data(as_text=True)
    assert rows(html) == [
        [
            "2026-11-23 12:00",
            "2 · 失业保险金申领材料清单",
            "0432******34",
            "排队中 Queued",
            "0",
            "—",
        ],
        [
            "2026-11-23 11:00",
            "3 · 工伤认定申请材料",
            "010******88",
            "失败 Failed",
            "4",
            "sendfax exited 1: Can not reach server",
        ],
        [
            "2026-11-23 10:05",
            "1 · 养老保险待遇申领须知",
            "0431******34",
            "已发送 Sent 2026-11-23 10:06",
            "1",
            "—",
        ],
    ]
    for number in ("043188881234", "01066668888", "043266661234"):
        assert number not in html
    assert 'href="/selfservice/fax"' in html and "传真 Faxes" in html  # in the navigation

    failed = rows(client.get("/selfservice/fax?show=failed").get_data(as_text=True))
    assert [r[1] for r in failed] == ["3 · 工伤认定申请材料"]
    open_ = rows(client.get("/selfservice/fax?show=open").get_data(as_text=True))
    assert [r[1] for r in open_] == ["2 · 失业保险金申领材料清单"]


@pytest.mark.parametrize("role", ["agent", "inspector"])
def test_other_roles_are_refused(client, make_user, requests_made, role):
    make_user("li", role)
    log_in(client, "li")
    response = client.get("/selfservice/fax")
    assert response.status_code == 403
    assert "043188881234" not in response.get_data(as_text=True)
    assert "/selfservice/fax" not in client.get("/staff/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/selfservice/fax")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_empty_list_says_so(client, make_user):
    make_user("wang", "staff")
    log_in(client, "wang")
    assert "没有传真申请" in client.get("/selfservice/fax").get_data(as_text=True)


def test_a_fax_the_api_confirmed_shows_as_delivered(client, make_user, app):
    with app.app_context():
        db.session().add(
            FaxRequest(
                call_sid="CA" + "4" * 32,
                document_key="1",
                document_title="养老保险待遇申领须知",
                fax_number="043188881234",
                status="delivered",
                attempts=1,
                provider="rest",
                provider_ref="FX" + "1" * 32,
                created_at=datetime(2026, 11, 23, 2, 5, tzinfo=UTC),
                sent_at=datetime(2026, 11, 23, 2, 6, tzinfo=UTC),
            )
        )
        db.session().commit()
    make_user("wang", "staff")
    log_in(client, "wang")
    [row] = rows(client.get("/selfservice/fax?show=sent").get_data(as_text=True))
    assert row[3] == "已送达 Delivered 2026-11-23 10:06"
