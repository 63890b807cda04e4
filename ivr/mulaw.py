"""G.711 μ-law: telephone audio (8-bit codes) to and from 16-bit little-endian PCM.

Bit-exact with the ITU-T G.191 reference (``ulaw_expand``/``ulaw_compress``), without
the stdlib ``audioop`` (removed in Python 3.13). Decoding, the hot path of every media
stream, runs in C through two ``bytes.translate`` calls and a strided slice assignment.
"""

from __future__ import annotations

import sys
from array import array
from functools import cache


def _expand(code: int) -> int:
    """One μ-law code to its 16-bit linear value (G.191 ``ulaw_expand``)."""
    sign = -1 if code < 0x80 else 1
    mantissa = ~code
    exponent = (mantissa >> 4) & 0x07
    step = 4 << (exponent + 1)
    return sign * ((0x80 << exponent) + step * (mantissa & 0x0F) + step // 2 - 4 * 33)


def _compress(sample: int) -> int:
    """One 16-bit linear sample to its μ-law code (G.191 ``ulaw_compress``)."""
    # One's complement for negatives: -1..-4 fall on the negative zero code 0x7F.
    magnitude = min(((~sample if sample < 0 else sample) >> 2) + 33, 0x1FFF)
    segment = (magnitude >> 6).bit_length() + 1
    code = ((8 - segment) << 4) | (0x0F - ((magnitude >> segment) & 0x0F))
    return code | 0x80 if sample >= 0 else code


_LINEAR = [_expand(code) for code in range(256)]
_LOW = bytes(value & 0xFF for value in _LINEAR)
_HIGH = bytes((value >> 8) & 0xFF for value in _LINEAR)


def decode(ulaw: bytes) -> bytes:
    """μ-law codes to 16-bit little-endian PCM (two bytes per code)."""
    pcm = bytearray(2 * len(ulaw))
    pcm[0::2] = ulaw.translate(_LOW)
    pcm[1::2] = ulaw.translate(_HIGH)
    return bytes(pcm)


@cache
def _codes() -> bytes:
    """The code of every 16-bit sample, indexed by the sample as unsigned (built on first use)."""
    return bytes(
        _compress(value - 0x10000 if value >= 0x8000 else value) for value in range(0x10000)
    )


def encode(pcm: bytes) -> bytes:
    """16-bit little-endian PCM to μ-law codes (one per sample); a trailing odd byte is dropped."""
    samples = array("H")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return bytes(map(_codes().__getitem__, samples))
