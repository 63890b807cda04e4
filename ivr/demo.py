"""Demo data for the run command: created once, credentials written under instance/."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from sqlalchemy import select

from ivr import db
from ivr.settings import ROOT
from ivr.staff.models import User

CREDENTIALS = ROOT / "instance" / "demo-credentials.txt"
DEMO_USERS = (("admin", "admin", "Demo administrator 演示管理员"),)


def create_demo() -> Iterator[str]:
    session = db.session()
    created = []
    for username, role, name in DEMO_USERS:
        if session.scalar(select(User).where(User.username == username)):
            continue
        password = secrets.token_urlsafe(9)
        user = User(username=username, role=role, display_name=name)
        user.set_password(password)
        session.add(user)
        created.append(f"{username} ({role}): {password}")
    session.commit()
    if created:
        CREDENTIALS.parent.mkdir(parents=True, exist_ok=True)
        with CREDENTIALS.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(created) + "\n")
        CREDENTIALS.chmod(0o600)
        yield f"demo users (also in {CREDENTIALS}):"
        yield from (f"  {line}" for line in created)
    else:
        yield f"demo users exist already (see {CREDENTIALS})"
