#!/bin/sh
# Regenerates the small speech fixtures used by tests/speech and bench/transcribe.py.
# Needs espeak-ng, sox and ffmpeg (apt-get install -y espeak-ng sox ffmpeg); the tests
# themselves only need the committed output files.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Caller: "Hello. Please tell me how to apply for unemployment benefits."
espeak-ng -v ko -s 150 -w "$tmp/caller.wav" "안녕하세요. 실업 급여 신청 방법을 알려 주세요."
# Agent: "Yes, go ahead."
espeak-ng -v ko -s 150 -w "$tmp/agent.wav" "네, 말씀하세요."

# Twilio sends 8 kHz mono 16-bit PCM WAV.
sox "$tmp/caller.wav" -r 8000 -c 1 -b 16 -e signed-integer ko_caller_8k.wav gain -1
# The same clip as MP3 (Twilio can also serve recordings as MP3).
ffmpeg -loglevel error -y -i ko_caller_8k.wav -ac 1 -ar 8000 -codec:a libmp3lame -b:a 16k \
    ko_caller.mp3

# Dual-channel recording: channel 1 = caller (parent call), channel 2 = agent (child call).
# The caller speaks first; the agent answers after the caller has finished.
caller_len=$(soxi -D "$tmp/caller.wav")
agent_len=$(soxi -D "$tmp/agent.wav")
sox "$tmp/caller.wav" -r 8000 -c 1 -b 16 -e signed-integer "$tmp/c8.wav" gain -1 pad 0 "$agent_len"
sox "$tmp/agent.wav" -r 8000 -c 1 -b 16 -e signed-integer "$tmp/a8.wav" gain -1 pad "$caller_len" 0
sox -M "$tmp/c8.wav" "$tmp/a8.wav" ko_dual_8k.wav
