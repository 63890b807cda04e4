"""Option 3 end to end: choose, key the number, hear it back, confirm; a PDF lands in the outbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr import db
from ivr.calls.models import Call, CallEvent
from tests.fax.conftest import drain, fax_phone, fax_requests
from tests.fax.pdfcheck import read
from tests.harness import TELEPHONY

# run again on SQLite by scripts/test; walked as Twilio and as Somleng would
pytestmark = [pytest.mark.sqlite, pytest.mark.parametrize("telephony", TELEPHONY)]

CATALOGUE = (
    "请选择您需要的传真文件：养老保险待遇申领须知请按1，失业保险金申领材料清单请按2，"
    "工伤认定申请材料请按3，劳动合同书范本要点请按4，社会保障卡申领与补换须知请按5。"
    "返回上一级菜单请按星号键。"
)
MAIN_MENU = (
    "语音服务请按1，录音留言请按2，索取传真请按3，个人账户查询请按4，投诉举报请按5，"
    "上级或异地服务请按9，转人工服务请按0。"
)
PENSION = "养老保险待遇申领须知"
UNEMPLOYMENT = "失业保险金申领材料清单"
INVALID_CHOICE = "选择错误，请重新输入"
BAD_NUMBER = "对不起，传真号码有误，请输入固定电话号码，外地号码请加区号。"
MOBILE = "对不起，手机号码不能接收传真，请输入传真机所在的固定电话号码。"
FAILED = "对不起，传真申请未能受理。"
CONTINUE = "是否需要继续服务？继续服务请按1，结束通话请按2。"
GOODBYE = "感谢您的来电，再见。"
CJK_FONTS = ("WenQuanYi", "NotoSansCJK", "NotoSerifCJK", "SourceHan", "UMing", "AR PL")


def ask_number(title: str) -> str:
    return (
        f"您选择的是《{title}》。请输入接收传真的号码，外地号码请先输入区号，以井号键结束。"
        "重新选择文件请按星号键。"
    )


def confirm(spoken: str) -> str:
    return f"您输入的传真号码是：{spoken}。确认请按1，重新输入请按2。"


def accepted(title: str) -> str:
    return f"您的传真申请已受理，《{title}》将在几分钟内发送到您的传真机，请注意查收。"


def events(app, sid: str) -> list[CallEvent]:
    with app.app_context():
        call = db.session().scalars(select(Call).where(Call.sid == sid)).one()
        return list(call.events)


def test_a_document_is_faxed_to_the_outbox_as_a_pdf_in_a_cjk_font(fax_app, at, tmp_path):
    at(2026, 11, 23, 10, 0)
    call = fax_phone(fax_app).call(["3", "1", "043188881234#", "1", "2"])
    assert call.heard[1:] == [
        MAIN_MENU,
        CATALOGUE,
        ask_number(PENSION),
        confirm("零四三幺，八八八八，幺二三四"),
        accepted(PENSION),
        CONTINUE,
        GOODBYE,
    ]
    catalogue_gather, number_gather, confirm_gather = call.verbs("gather")[1:4]
    assert catalogue_gather.attrs["numDigits"] == "1"
    assert number_gather.attrs["finishOnKey"] == "#" and "numDigits" not in number_gather.attrs
    assert confirm_gather.attrs["numDigits"] == "1"

    drain(fax_app)
    [request] = fax_requests(fax_app)
    assert (request.document_key, request.document_title) == ("1", PENSION)
    assert (request.fax_number, request.call_sid, request.locale) == (
        "043188881234",
        call.sid,
        "zh-CN",
    )
    assert (request.status, request.attempts, request.error) == ("sent", 1, "")
    assert request.provider == "outbox" and request.sent_at is not None

    outbox = tmp_path / "outbox"
    pdf_path = outbox / request.provider_ref
    assert pdf_path.name == f"fax-{request.id:06d}-doc1.pdf"
    sidecar = json.loads(pdf_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["to"] == "043188881234" and sidecar["document"] == "1"
    assert sidecar["title"] == PENSION and sidecar["pdf"] == pdf_path.name
    assert sorted(p.name for p in outbox.iterdir()) == [
        pdf_path.with_suffix(".json").name,
        pdf_path.name,
    ]

    facts = read(pdf_path.read_bytes())
    assert facts.embedded and facts.pages >= 1
    assert any(family in font for font in facts.fonts for family in CJK_FONTS), facts.fonts
    assert PENSION in facts.text
    assert "累计缴费年限（含视同缴费年限）满十五年" in facts.text


def test_a_local_number_gets_the_callers_area_code(fax_app, at):
    at(2026, 11, 23, 10, 0)
    heard = fax_phone(fax_app).call(["3", "2", "88881234#", "1"]).heard
    assert heard[3:6] == [
        ask_number(UNEMPLOYMENT),
        confirm("八八八八，幺二三四"),
        accepted(UNEMPLOYMENT),
    ]
    drain(fax_app)
    [request] = fax_requests(fax_app)
    assert request.fax_number == "043188881234" and request.document_key == "2"


def test_an_unknown_document_is_refused_and_asked_again(fax_app, at):
    at(2026, 11, 23, 10, 0)
    call = fax_phone(fax_app).call(["3", "9", "7", "2", "*#"])
    assert call.heard[2:7] == [
        CATALOGUE,
        INVALID_CHOICE,
        CATALOGUE,
        INVALID_CHOICE,
        CATALOGUE,
    ]
    assert call.heard[7] == ask_number(UNEMPLOYMENT)
    kinds = [(e.kind, e.digits) for e in events(fax_app, call.sid) if e.node == "fax"]
    assert ("invalid", "9") in kinds and ("invalid", "7") in kinds and ("option", "2") in kinds
    assert fax_requests(fax_app) == []


def test_malformed_and_mobile_numbers_are_asked_again(fax_app, at):
    at(2026, 11, 23, 10, 0)
    call = fax_phone(fax_app).call(["3", "1", "12345#", "13904311234#", "043188881234#", "1"])
    assert call.heard[3:10] == [
        ask_number(PENSION),
        BAD_NUMBER,
        ask_number(PENSION),
        MOBILE,
        ask_number(PENSION),
        confirm("零四三幺，八八八八，幺二三四"),
        accepted(PENSION),
    ]
    drain(fax_app)
    assert [r.fax_number for r in fax_requests(fax_app)] == ["043188881234"]


def test_three_bad_numbers_give_up_without_a_request(fax_app, at):
    at(2026, 11, 23, 10, 0)
    heard = fax_phone(fax_app).call(["3", "1", "1#", "0431#", "99#"]).heard
    assert heard[-4:] == [ask_number(PENSION), BAD_NUMBER, FAILED, CONTINUE]
    assert fax_requests(fax_app) == []


def test_two_at_the_read_back_enters_the_number_again(fax_app, at):
    at(2026, 11, 23, 10, 0)
    call = fax_phone(fax_app).call(["3", "1", "043188881234#", "2", "01066668888#", "1"])
    assert call.heard[3:8] == [
        ask_number(PENSION),
        confirm("零四三幺，八八八八，幺二三四"),
        ask_number(PENSION),
        confirm("零幺零，六六六六，八八八八"),
        accepted(PENSION),
    ]
    drain(fax_app)
    [request] = fax_requests(fax_app)
    assert request.fax_number == "01066668888"


def test_star_goes_up_one_level_at_each_stage(fax_app, at):
    at(2026, 11, 23, 10, 0)
    heard = fax_phone(fax_app).call(["3", "1", "*#", "*"]).heard
    assert heard[2:] == [CATALOGUE, ask_number(PENSION), CATALOGUE, MAIN_MENU]
    heard = fax_phone(fax_app).call(["3", "1", "043188881234#", "*", "*#"]).heard
    assert heard[3:] == [
        ask_number(PENSION),
        confirm("零四三幺，八八八八，幺二三四"),
        ask_number(PENSION),
        CATALOGUE,
    ]
    assert fax_requests(fax_app) == []


def test_a_retried_confirmation_makes_one_request(fax_app, at):
    at(2026, 11, 23, 10, 0)
    phone = fax_phone(fax_app)
    call = phone.call(["3", "1", "043188881234#", "1"])
    url, params = next((u, p) for u, p in call.requests if p.get("Digits") == "1" and "FX1-" in u)
    for _ in range(2):  # Twilio retries the webhook
        status, _body = phone.post(url, params)
        assert status == 200
    drain(fax_app)
    assert len(fax_requests(fax_app)) == 1


def test_english_line_lists_the_english_titles(fax_app, at):
    at(2026, 11, 23, 10, 0)
    heard = fax_phone(fax_app, called="+8643112334").call(["3", "4", "043188881234#"]).heard
    assert heard[2] == (
        "Please choose the document you would like by fax. "
        "For how to claim basic pension benefits, press 1. "
        "For the documents needed to claim unemployment benefit, press 2. "
        "For the documents needed to apply for work injury recognition, press 3. "
        "For the essentials of a model labour contract, press 4. "
        "For applying for or replacing a social security card, press 5. To go back, press star."
    )
    assert heard[4] == (
        "You entered the fax number zero four three one, eight eight eight eight, "
        "one two three four. To confirm, press 1. To enter it again, press 2."
    )


def test_a_pdf_document_is_sent_as_it_is(make_fax_app, at, tmp_path):
    import shutil

    from ivr.settings import ROOT

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    own = b"%PDF-1.4\n% a form the centre scanned\n%%EOF\n"
    (flows / "fax" / "form.pdf").write_bytes(own)
    catalogue = flows / "fax.yaml"
    catalogue.write_text(
        catalogue.read_text(encoding="utf-8")
        + '  "6":\n    title: {zh-CN: 申领表, en-US: the claim form}\n    pdf: form.pdf\n',
        encoding="utf-8",
    )
    app = make_fax_app(IVR_FLOWS_DIR=str(flows))
    at(2026, 11, 23, 10, 0)
    fax_phone(app).call(["3", "6", "043188881234#", "1"])
    drain(app)
    [request] = fax_requests(app)
    assert request.status == "sent"
    assert (tmp_path / "outbox" / request.provider_ref).read_bytes() == own
    assert not list(Path(tmp_path / "outbox").glob(".tmp-*"))
