from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired

from ivr.agents.presence import SETTABLE


class StatusForm(FlaskForm):
    """One form, one submit button per status (``name="status" value="paused"``)."""

    status = StringField(validators=[DataRequired(), AnyOf(SETTABLE)])
