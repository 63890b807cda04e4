"""Structured (key=value) logs with the call SID on every line and personal data masked."""

from __future__ import annotations

import json
import logging
import re

from flask import Flask, g, has_app_context

# Phone numbers (7+ digits, optional +, also after a "-" as in FX1-043188881234) and
# anything that looks like a PIN/password field.
_NUMBER = re.compile(r"(?<!\w)(\+?\d{2})\d{3,}(\d{3})(?!\w)")
_SECRET = re.compile(r"((?:password|pin|passwd|Digits)[\"']?\s*[:=]\s*[\"']?)[^\s\"',&]+", re.I)


def mask(text: str) -> str:
    """``+8613904311234`` -> ``+86****234``; ``password=123456`` -> ``password=***``."""
    text = _SECRET.sub(r"\1***", text)
    return _NUMBER.sub(r"\1****\2", text)


def mask_number(number: str) -> str:
    return mask(number) if number else ""


class CallContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        sid = "-"
        if has_app_context():
            sid = g.get("call_sid", "-")
        record.call_sid = getattr(record, "call_sid", sid)
        return True


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = mask(record.getMessage())
        if record.exc_info:
            message += " " + json.dumps(mask(self.formatException(record.exc_info)))
        return (
            f"time={self.formatTime(record)} level={record.levelname.lower()} "
            f"logger={record.name} call_sid={getattr(record, 'call_sid', '-')} "
            f"msg={json.dumps(message, ensure_ascii=False)}"
        )


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(CallContext())
    for name in (app.logger.name, "ivr", "rq.worker"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
