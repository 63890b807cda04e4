"""Gunicorn's access log with personal numbers masked.

Call state travels in the webhooks' URLs, and some of it is a caller's
number (a fax number being confirmed: ``r=FX1-043188881234``): the request
line, path, query and every other value of an access-log line go through
``ivr.logs.mask``.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from ivr.logs import mask


class MaskedLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """Every value a log format may use (request line, path, query, environ), masked."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: mask(v) if isinstance(v, str) else v for k, v in atoms.items()}
