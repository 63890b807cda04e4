from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length


class HandleForm(FlaskForm):
    note = TextAreaField(
        "处理记录 Note (what was done, e.g. called back)",
        validators=[Length(max=2000)],
        render_kw={"rows": 3},
    )


class ReopenForm(FlaskForm):
    """No fields: the CSRF token only."""
