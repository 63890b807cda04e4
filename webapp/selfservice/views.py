"""The fax request list (blueprint "selfservice", /selfservice/...).

Staff see what was asked, for which (masked) number, and how delivery went:
queued, sending, sent (delivered, when a fax API confirmed it), or failed with
the provider's error after N attempts.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr import db
from ivr.fax.models import FaxRequest
from webapp.access import permission_required
from webapp.paging import Page, list_args, paginate

bp = Blueprint("selfservice", __name__, url_prefix="/selfservice")

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


def fax_page(session: Session, show: str, number: int) -> Page[FaxRequest]:
    query = select(FaxRequest)
    if show == "open":
        query = query.where(FaxRequest.status.in_(("queued", "sending")))
    elif show == "sent":
        query = query.where(FaxRequest.status.in_(("sent", "delivered")))
    elif show == "failed":
        query = query.where(FaxRequest.status == show)
    query = query.order_by(FaxRequest.created_at.desc(), FaxRequest.id.desc())
    return paginate(session, query, number)


@bp.get("/fax")
@permission_required("fax.requests")
def fax_requests():
    show, number = list_args(FILTERS)
    page = fax_page(db.session(), show, number)
    return render_template(
        "selfservice/fax.html", page=page, show=show, filters=FILTERS, status_words=STATUS_WORDS
    )
