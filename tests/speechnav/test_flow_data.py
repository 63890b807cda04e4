"""The phrases in flows/: checked at start naming file and line; unknown words warned about."""

from __future__ import annotations

import pytest

from ivr.flows import FlowFileError
from ivr.speechnav.grammar import Confirm
from ivr.speechnav.listen import shares
from tests.speechnav.helpers import copy_flows, fake_model_with_words, rolled_back_app


def test_shipped_phrases_cover_every_option_of_the_speech_menus(app):
    flows = app.extensions["ivr.speechnav.flows"]
    assert set(flows.menus) == {"main_menu", "reduced_menu", "info_menu", "other_region"}
    main = flows.menus["main_menu"]
    assert set(main.names["zh-CN"]) == {"1", "2", "3", "4", "5", "9", "0"}
    assert main.option_for("zh-CN", "养老") is None
    assert flows.menus["info_menu"].option_for("zh-CN", "退休金") == "1"
    assert flows.menus["other_region"].option_for("zh-CN", "延边") == "0433"
    assert flows.menus["main_menu"].option_for("en-US", "personal account") == "4"
    assert flows.answer("zh-CN", "不 对") is False and flows.answer("en-US", "yes") is True


def test_confirm_below_a_confidence():
    assert Confirm().needed(1.0)
    assert not Confirm(0.9).needed(0.9) and Confirm(0.9).needed(0.89)


BROKEN = [
    ('"4": {zh-CN: [个人账户,', '"6": {zh-CN: [个人账户,', "option '6' is not one of the menu's"),
    ('"0432": {zh-CN: [吉林]', '"0999": {zh-CN: [吉林]', "0999: no centre option 9 can dial"),
    ("[录音留言, 留言]", "[录音留言, 传真]", "'传真' names options 2 and 3"),
    ("confirm: always\n      options:\n        \"1\": {zh-CN: [养老保险",
     "confirm: often\n      options:\n        \"1\": {zh-CN: [养老保险", "confirm: expected always"),
    ("prompt: info_menu_speech", "prompt: nothing_said", "unknown prompt 'nothing_said'"),
    ("en-US: [pension]", "fr-FR: [pension]", "unknown locale 'fr-FR'"),
]  # fmt: skip


@pytest.mark.parametrize("old, new, reason", BROKEN)
def test_bad_phrases_stop_the_start_naming_file_and_line(
    database_url, connection, tmp_path, old, new, reason
):
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    flows = copy_flows(tmp_path, edit)
    with pytest.raises(FlowFileError) as error:
        rolled_back_app(database_url, connection, tmp_path, flows)
    assert reason in error.value.reason
    lines = (flows / "hotline.yaml").read_text(encoding="utf-8").splitlines()
    assert error.value.path.endswith("hotline.yaml") and error.value.line
    reported = lines[error.value.line - 1]
    assert any(part in reported for part in ("speech", "confirm", "prompt", '": {'))


def test_speech_menus_need_the_confirm_words(database_url, connection, tmp_path):
    flows = copy_flows(tmp_path)
    (flows / "speech.yaml").unlink()
    with pytest.raises(FlowFileError, match="speech.yaml: missing"):
        rolled_back_app(database_url, connection, tmp_path, flows)


def test_flows_check_warns_of_words_the_model_cannot_recognise(tmp_path):
    from click.testing import CliRunner

    from ivr.cli import main

    model = fake_model_with_words(tmp_path / "zh-model", ["养老", "保险", "是"])
    flows = copy_flows(tmp_path)
    env = {
        "IVR_ENV_FILE": "/nonexistent",
        "DATABASE_URL": "sqlite://",
        "SECRET_KEY": "x",
        "TWILIO_AUTH_TOKEN": "x",
        "IVR_FLOWS_DIR": str(flows),
        "VOSK_MODEL_ZH_CN": str(model),
    }
    result = CliRunner().invoke(main, ["flows", "check"], env=env)
    assert result.exit_code == 0, result.output
    lines = (flows / "hotline.yaml").read_text(encoding="utf-8").splitlines()
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("zh-CN model has no word '退休金'" in w for w in warnings)
    where = next(w for w in warnings if "'退休金'" in w).split(": ")[1]
    assert "退休金" in lines[int(where.rsplit(":", 1)[1]) - 1]
    assert not any("'养老'" in w for w in warnings)


def test_speech_audio_is_off_unless_speech_yaml_says_true(app, database_url, connection, tmp_path):
    assert app.extensions["ivr.speechnav.flows"].store_audio is False
    flows = copy_flows(tmp_path)
    path = flows / "speech.yaml"
    path.write_text(path.read_text().replace("store_audio: false", "store_audio: yes please"))
    with pytest.raises(FlowFileError, match="store_audio: expected true or false") as error:
        rolled_back_app(database_url, connection, tmp_path, flows)
    assert "store_audio" in path.read_text().splitlines()[error.value.line - 1]


def test_confidence_is_the_phrase_s_share_of_the_alternatives():
    """Constructed N-best lists (the test model's grammar forces a single one: 1.0)."""
    assert shares([27.7]) == [1.0]
    close = shares([66.637, 66.631])  # 의료 or 임금: the model cannot tell
    assert 0.49 < close[0] < 0.51 and sum(close) == pytest.approx(1.0)
    assert shares([50.0, 40.0])[0] > 0.99
