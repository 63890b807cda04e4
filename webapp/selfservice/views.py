"""The fax request list (blueprint "selfservice", /selfservice/...).

Staff see what was asked, for which (masked) number, and how delivery went:
queued, sending, sent (delivered, when a fax API confirmed it), or failed with
the provider's error after N attempts.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr import db
from ivr.fax.models import FaxRequest
from webapp.access import role_required

bp = Blueprint("selfservice", __name__, url_prefix="/selfservice")

FAX_ROLES = ("admin", "staff", "team_leader")
PAGE_SIZE = 50
# filter id -> label; the first is the default.
FILTERS = {
    "all": "全部 All",
    "open": "未完成 Not yet sent",
    "failed": "失败 Failed",
    "sent": "已发送 Sent",
}
STATUS_WORDS = {
    "queued": "排队中 Queued",
    "sending": "发送中 Sending",
    "sent": "已发送 Sent",
    "delivered": "已送达 Delivered",  # the fax API confirmed it
    "failed": "失败 Failed",
}


@dataclass(frozen=True)
class Page:
    items: list[FaxRequest]
    number: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def fax_page(session: Session, show: str, number: int) -> Page:
    query = select(FaxRequest)
    if show == "open":
        query = query.where(FaxRequest.status.in_(("queued", "sending")))
    elif show == "sent":
        query = query.where(FaxRequest.status.in_(("sent", "delivered")))
    elif show == "failed":
        query = query.where(FaxRequest.status == show)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    number = max(1, min(number, max(1, -(-total // PAGE_SIZE))))
    items = session.scalars(
        query.order_by(FaxRequest.created_at.desc(), FaxRequest.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page(list(items), number, total)


@bp.get("/fax")
@role_required(*FAX_ROLES)
def fax_requests():
    show = request.args.get("show", "all")
    if show not in FILTERS:
        show = "all"
    page = fax_page(db.session(), show, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "selfservice/fax.html", page=page, show=show, filters=FILTERS, status_words=STATUS_WORDS
    )
