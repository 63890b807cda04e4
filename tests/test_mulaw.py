"""ivr.mulaw: G.711 μ-law as the ITU-T G.191 reference computes it."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr import mulaw

ALL_SAMPLES = range(-32768, 32768)


def _pcm(*samples: int) -> bytes:
    return struct.pack(f"<{len(samples)}h", *samples)


def _samples(pcm: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(pcm) // 2}h", pcm))


# (code, 16-bit value): segment ends of G.711 table 2a, scaled by 4 as G.191 expands them.
DECODED = [
    (0x00, -32124),
    (0x0F, -16764),
    (0x10, -15996),
    (0x1F, -8316),
    (0x20, -7932),
    (0x5F, -396),
    (0x6F, -132),
    (0x70, -120),
    (0x7E, -8),
    (0x7F, 0),
    (0x80, 32124),
    (0x8F, 16764),
    (0xEF, 132),
    (0xF0, 120),
    (0xFE, 8),
    (0xFF, 0),
]

# (16-bit sample, code): zero, the clip points and the rounding of negatives (one's
# complement: -1..-4 are the negative zero, 0x7F).
ENCODED = [
    (0, 0xFF),
    (3, 0xFF),
    (4, 0xFE),
    (-1, 0x7F),
    (-4, 0x7F),
    (-5, 0x7E),
    (32767, 0x80),
    (32124, 0x80),
    (-32768, 0x00),
    (-32125, 0x00),
    (132, 0xEF),
    (-133, 0x6F),
]


def test_decode_matches_the_reference_values() -> None:
    codes = bytes(code for code, _ in DECODED)
    assert _samples(mulaw.decode(codes)) == [value for _, value in DECODED]


def test_encode_matches_the_reference_values() -> None:
    assert list(mulaw.encode(_pcm(*(sample for sample, _ in ENCODED)))) == [
        code for _, code in ENCODED
    ]


def test_decode_agrees_with_audioop_on_every_code() -> None:
    audioop = pytest.importorskip("audioop")
    codes = bytes(range(256))
    assert mulaw.decode(codes) == audioop.ulaw2lin(codes, 2)


def test_encode_agrees_with_audioop_on_positive_samples_and_is_symmetric() -> None:
    # audioop (Sun's g711.c) rounds negatives by two's complement, so at 4 samples of
    # each negative decision level it picks the next code; G.191 is symmetric instead.
    audioop = pytest.importorskip("audioop")
    positive = _pcm(*range(32768))
    assert mulaw.encode(positive) == audioop.lin2ulaw(positive, 2)
    negative = mulaw.encode(_pcm(*(-s - 1 for s in range(32768))))
    assert negative == bytes(code & 0x7F for code in mulaw.encode(positive))


def test_every_code_but_negative_zero_survives_decode_then_encode() -> None:
    codes = bytes(code for code in range(256) if code != 0x7F)
    assert mulaw.encode(mulaw.decode(codes)) == codes
    assert mulaw.encode(mulaw.decode(b"\x7f")) == b"\xff"


def test_encoding_is_monotonic_and_quantises_within_half_a_step() -> None:
    decoded = _samples(mulaw.decode(mulaw.encode(_pcm(*ALL_SAMPLES))))
    assert decoded == sorted(decoded)
    for sample, value in zip(ALL_SAMPLES, decoded, strict=True):
        if abs(sample) <= 32124:
            step = 8 << max(0, (abs(sample) + 132).bit_length() - 8)
            assert abs(sample - value) <= step // 2 + 4, sample


@given(st.binary(max_size=400))
def test_decode_doubles_the_length_and_encode_halves_it(codes: bytes) -> None:
    pcm = mulaw.decode(codes)
    assert len(pcm) == 2 * len(codes)
    assert mulaw.encode(pcm + b"\x01") == mulaw.encode(pcm)
    assert len(mulaw.encode(pcm)) == len(codes)
