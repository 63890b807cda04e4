"""Paged, filtered lists: the ``?show=…&page=…`` arguments and one page of a query.

The templates' side is webapp/templates/webapp/_lists.html (``list_filters``, ``pager``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PAGE_SIZE = 50

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # 1-based
    total: int  # items on every page
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return page_count(self.total, self.size)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """Pages needed for ``total`` items; an empty list still has one."""
    return max(1, -(-total // size))


def list_args(filters: Mapping[str, Any]) -> tuple[str, int]:
    """The request's filter (one of ``filters``' keys, the first by default) and page number."""
    default = next(iter(filters))
    show = request.args.get("show", default)
    if show not in filters:
        show = default
    return show, request.args.get("page", 1, type=int) or 1


def paginate(
    session: Session, query: Select[tuple[T]], number: int, size: int = PAGE_SIZE
) -> Page[T]:
    """Page ``number`` of ``query`` (already ordered), kept within the pages there are."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    number = max(1, min(number, page_count(total, size)))
    items = session.scalars(query.limit(size).offset((number - 1) * size)).all()
    return Page(list(items), number, total, size)
