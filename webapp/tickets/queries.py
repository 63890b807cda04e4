"""Ticket lists: the filters, who sees which tickets, paging."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from ivr.complaints.models import Ticket
from webapp.paging import Page, paginate

OPEN = ("received", "in_progress", "follow_up")

# filter id -> label; the first is the default.
FILTERS = {
    "open": "未办结 Open",
    "overdue": "已超期 Overdue",
    "mine": "我负责的 Mine",
    "desk": "受理台待分派 At the desk",
    "closed": "已办结 Closed",
    "all": "全部 All",
}


def is_overdue(now: datetime):
    return or_(
        and_(Ticket.status.in_(("received", "in_progress")), Ticket.due_at < now),
        and_(Ticket.status == "follow_up", Ticket.follow_up_due_at < now),
    )


def ticket_query(show: str, user_id: int, sees_all: bool, now: datetime) -> Select[tuple[Ticket]]:
    """The tickets of filter ``show``; without ``sees_all``, only those ``user_id`` owns."""
    query = select(Ticket)
    if not sees_all:
        query = query.where(Ticket.owner_id == user_id)
    if show == "open":
        query = query.where(Ticket.status.in_(OPEN))
    elif show == "overdue":
        query = query.where(is_overdue(now))
    elif show == "mine":
        query = query.where(Ticket.owner_id == user_id, Ticket.status.in_(OPEN))
    elif show == "desk":
        query = query.where(Ticket.owner_id.is_(None), Ticket.status.in_(OPEN))
    elif show == "closed":
        query = query.where(Ticket.status == "closed")
    if show == "closed":
        return query.order_by(Ticket.closed_at.desc(), Ticket.id.desc())
    if show == "all":
        return query.order_by(Ticket.opened_at.desc(), Ticket.id.desc())
    return query.order_by(Ticket.due_at, Ticket.id)  # most urgent first


def ticket_page(session: Session, query: Select[tuple[Ticket]], number: int) -> Page[Ticket]:
    query = query.options(selectinload(Ticket.owner), selectinload(Ticket.contacts))
    return paginate(session, query, number)
