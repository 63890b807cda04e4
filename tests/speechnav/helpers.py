"""Helpers (not fixtures) for the speech menu tests: apps on a copied flows folder, webhooks."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.orm import sessionmaker

from ivr.app import create_app
from ivr.settings import load_settings
from ivr.simulator import Phone, flask_transport
from tests.harness import AUTH_TOKEN, PUBLIC_URL, ROOT, app_environ

NS = ""


def copy_flows(tmp_path: Path, edit=None) -> Path:
    """flows/ copied, with ``edit(hotline_text) -> text`` applied to hotline.yaml."""
    target = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", target)
    if edit is not None:
        path = target / "hotline.yaml"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def rolled_back_app(database_url, connection, tmp_path: Path, flows: Path | None = None, **env):
    """As tests/conftest.py's ``app``, on another flows folder."""
    environ = app_environ(database_url, tmp_path, **env)
    if flows is not None:
        environ["IVR_FLOWS_DIR"] = str(flows)
    app = create_app({"SETTINGS": load_settings(environ), "TESTING": True})
    app.extensions["ivr.db"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return app


def phone_for(app) -> Phone:
    return Phone(flask_transport(app.test_client(), PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN)


def media_up(app, locales=("zh-CN", "en-US")) -> None:
    app.extensions["ivr.speechnav.store"].beat("test-media", {"locales": list(locales)})
    app.extensions.pop("ivr.speechnav.heartbeat", None)  # the webhooks' one-second cache


def post(phone: Phone, sid: str, url: str, **extra: str) -> ET.Element:
    status, body = phone.post(url, {**phone.call_params(sid), **extra})
    assert status == 200, body
    return ET.fromstring(body)  # noqa: S314 - our own server's TwiML


def said(document: ET.Element) -> str:
    return " ".join(el.text or "" for el in document.iter("Say"))


def stream_of(document: ET.Element) -> tuple[str, str, str]:
    """(stream URL, token, result URL) of a spoken question."""
    stream = document.find("./Connect/Stream")
    assert stream is not None, ET.tostring(document, encoding="unicode")
    token = stream.find("Parameter[@name='token']").get("value")
    redirect = document.find("Redirect")
    return stream.get("url"), token, redirect.text


def nonce_of(result_url: str) -> str:
    return parse_qs(urlsplit(result_url).query)["k"][0]


def fake_model_with_words(path: Path, words: list[str]) -> Path:
    """The layout of a Vosk model that ships graph/words.txt (not loadable: never loaded)."""
    (path / "am").mkdir(parents=True)
    (path / "am" / "final.mdl").write_bytes(b"fake")
    (path / "conf").mkdir()
    (path / "graph").mkdir()
    lines = ["<eps> 0", *(f"{word} {n}" for n, word in enumerate(words, 1))]
    (path / "graph" / "words.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


DATA = Path(__file__).parent / "data"
SAID = {  # what the calls say -> its recording (data/make_fixtures.sh makes them with espeak-ng)
    "음성 메시지": "ko_voice_message.wav",
    "개인 계좌": "ko_personal_account.wav",
    "상담원 연결": "ko_agent_connection.wav",
    "연금 보험": "ko_pension_insurance.wav",
    "의료 보험": "ko_medical_insurance.wav",
    "오늘 날씨가 좋네요": "ko_weather.wav",  # "the weather is nice today": out of grammar
    "길림": "ko_jilin.wav",
    "네": "ko_confirm_yes.wav",
    "아니요": "ko_confirm_no.wav",
}


def recording(phrase: str) -> str:
    """The committed WAV of ``phrase``: what a stream plays for it (no espeak-ng at run time,
    whose versions sound different)."""
    return str(DATA / SAID[phrase])


def say(phrase: str) -> str:
    """The phone's key that says ``phrase`` at the next stream."""
    return "@" + recording(phrase)


KO_NUMBER = "+8643112335"
KO_PHRASES = {  # option line (its start in hotline.yaml) -> Korean phrases the test model knows
    '"2": {zh-CN: [录音留言': "[음성 메시지]",
    '"4": {zh-CN: [个人账户': "[개인 계좌]",
    '"0": {zh-CN: [人工服务': "[상담원 연결]",
    '"1": {zh-CN: [养老保险': "[연금 보험]",
    '"2": {zh-CN: [医疗保险': "[의료 보험]",
    '"0432": {zh-CN: [吉林]': "[길림]",
}


def korean_flows(tmp_path: Path, *, always_open: bool = False, store_audio: bool = False) -> Path:
    """flows/ with a ko-KR test locale (the only complete model installable here is Korean):
    its own number, the English prompts, and Korean phrases at the speech menus.
    ``always_open``: the main menu at any hour (for tests whose clock runs);
    ``store_audio``: keep what callers say (flows/speech.yaml)."""

    def edit(text: str) -> str:
        if always_open:
            text = text.replace("closed: closed_notice", "closed: main_menu")
            text = text.replace("closed: reduced_menu", "closed: main_menu")
        text = text.replace(
            '  "+8643112334": en-US\n', f'  "+8643112334": en-US\n  "{KO_NUMBER}": ko-KR\n'
        )
        text = text.replace(
            "  en-US: {voice: Polly.Joanna, language: en-US}\n",
            "  en-US: {voice: Polly.Joanna, language: en-US}\n"
            "  ko-KR: {voice: Polly.Seoyeon, language: ko-KR}\n",
        )
        text = text.replace(
            "  en-US: {province: Jilin Province}\n",
            "  en-US: {province: Jilin Province}\n  ko-KR: {province: Jilin Province}\n",
        )
        lines = []
        for line in text.splitlines():
            for start, phrases in KO_PHRASES.items():
                if line.strip().startswith(start):
                    line = line.rstrip("}") + f", ko-KR: {phrases}}}"
            lines.append(line)
        return "\n".join(lines) + "\n"

    flows = copy_flows(tmp_path, edit)
    shutil.copy(flows / "prompts" / "en-US.yaml", flows / "prompts" / "ko-KR.yaml")
    for name in ("fax.yaml", "directory.yaml"):  # texts every call locale needs: the English
        path = flows / name
        text = re.sub(r"(?m)^(\s+)en-US: (.*)$", r"\1en-US: \2\n\1ko-KR: \2", path.read_text())
        text = re.sub(r"en-US: ([^,}]*)}", r"en-US: \1, ko-KR: \1}", text)
        path.write_text(text, encoding="utf-8")
    (flows / "speech.yaml").write_text(
        'confirm: {zh-CN: [是], en-US: ["yes"], ko-KR: [네]}\n'
        'reject: {zh-CN: [不是], en-US: ["no"], ko-KR: [아니요]}\n'
        f"store_audio: {'true' if store_audio else 'false'}\n",
        encoding="utf-8",
    )
    return flows
