"""Forms of the inspection pages (the rubric forms are read by ivr.inspection.entries)."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, StopValidation

from ivr.inspection.sampling import DEFAULT_MIN_SECONDS, MIN_REASON


def finite(_form: FlaskForm, field: DecimalField) -> None:
    """NaN and infinities are decimals too; a comparison with sNaN even raises."""
    if isinstance(field.data, Decimal) and not field.data.is_finite():
        raise StopValidation("请输入数字 Enter a number.")


class DrawForm(FlaskForm):
    min_seconds = DecimalField(
        "最短通话 Shortest call to sample (seconds)",
        default=DEFAULT_MIN_SECONDS,
        places=0,
        validators=[finite, NumberRange(min=0, max=3600)],
    )
    inspector = SelectField("质检员 Inspector", coerce=int, validate_choice=True)


class RedrawForm(FlaskForm):
    reason = TextAreaField(
        "重抽原因 Reason for the redraw",
        validators=[DataRequired(), Length(min=MIN_REASON, max=1000)],
        render_kw={"rows": 2, "required": True, "minlength": MIN_REASON},
    )
