from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ivr.complaints import deadlines
from ivr.params import ADDRESS

TEXT = 10_000


def caller_address(_form: FlaskForm, field: StringField) -> None:
    """Whatever a call's From may be (digits, a sip: address), matched as a whole."""
    if field.data and not ADDRESS.fullmatch(field.data):
        raise ValidationError("电话号码或SIP地址 A phone number (digits) or a sip: address")


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class DetailsForm(FlaskForm):
    """What the case is about; kept in full (spec §5: caller, content, handling, result)."""

    category = SelectField("类别 Category", choices=_choices(deadlines.CATEGORIES))
    matter = SelectField("事项 Matter (sets the deadline)", choices=_choices(deadlines.MATTERS))
    caller = StringField(
        "联系电话 Caller's number",
        validators=[
            Optional(),
            caller_address,
            Length(max=160),
        ],
    )
    caller_name = StringField("来电人 Caller's name", validators=[Length(max=64)])
    about_agent = SelectField("涉及座席 Agent concerned", coerce=int, default=0)
    content = TextAreaField("内容 Content", validators=[Length(max=TEXT)], render_kw={"rows": 5})
    handling = TextAreaField(
        "处理情况 Handling", validators=[Length(max=TEXT)], render_kw={"rows": 4}
    )
    result = TextAreaField("处理结果 Result", validators=[Length(max=TEXT)], render_kw={"rows": 3})


class NewTicketForm(DetailsForm):
    channel = SelectField("来源 Channel", choices=_choices(deadlines.CHANNELS))
    content = TextAreaField(
        "内容 Content",
        validators=[DataRequired(message="请填写内容 Describe the case"), Length(max=TEXT)],
        render_kw={"rows": 6},
    )


class StatusForm(FlaskForm):
    status = SelectField("状态 Status", choices=_choices(deadlines.STATUSES))


class OwnerForm(FlaskForm):
    owner = SelectField("负责人 Owner", coerce=int)


class TakeForm(FlaskForm):
    """No fields: take a desk ticket as its owner."""


class ContactForm(FlaskForm):
    outcome = SelectField("结果 Outcome", choices=_choices(deadlines.OUTCOMES))
    note = TextAreaField("备注 Note", validators=[Length(max=2000)], render_kw={"rows": 2})
