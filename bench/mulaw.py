"""Time ivr.mulaw against the load of 20 simultaneous 8 kHz media streams.

Usage: .venv/bin/python bench/mulaw.py [--streams 20] [--seconds 60]

Decodes (and encodes back) ``streams`` x ``seconds`` of 20 ms frames (160 codes each)
and prints the share of one core each direction takes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ivr import mulaw  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    frames = [os.urandom(160) for _ in range(50)]
    count = args.streams * args.seconds * 50
    mulaw.encode(b"\0\0")  # builds the encoding table outside the clock
    started = time.perf_counter()
    pcm = [mulaw.decode(frames[i % 50]) for i in range(count)]
    decoding = time.perf_counter() - started
    started = time.perf_counter()
    for frame in pcm:
        mulaw.encode(frame)
    encoding = time.perf_counter() - started
    audio = args.streams * args.seconds
    print(f"{args.streams} streams x {args.seconds} s = {count} frames of 20 ms")
    print(f"decode: {decoding:.3f} s, {100 * decoding / args.seconds:.2f} % of one core")
    print(f"encode: {encoding:.3f} s, {100 * encoding / args.seconds:.2f} % of one core")
    print(
        f"audio seconds per CPU second: decode {audio / decoding:,.0f}, encode {audio / encoding:,.0f}"
    )


if __name__ == "__main__":
    main()
