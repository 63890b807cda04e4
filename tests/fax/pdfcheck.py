"""Just enough PDF reading to check a fax: structure, embedded font, and the text it shows.

fpdf2 writes text in an embedded (Type0/CID) font as two-byte glyph codes in
literal strings, with a ToUnicode CMap that maps them back to characters; the
page content streams are Flate-compressed. This reads both, independently of
the code that wrote them.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


@dataclass
class PdfFacts:
    version: str
    fonts: list[str]
    embedded: bool
    text: str
    pages: int


def read(data: bytes) -> PdfFacts:
    header = re.match(rb"%PDF-(\d\.\d)", data)
    assert header, "not a PDF: no %PDF- header"
    assert data.rstrip().endswith(b"%%EOF"), "not a complete PDF: no %%EOF"
    assert b"startxref" in data and b"xref" in data, "no cross-reference table"
    fonts = [m.decode() for m in re.findall(rb"/BaseFont\s*/([^\s/>]+)", data)]
    embedded = b"/FontFile2" in data or b"/FontFile3" in data
    mapping = _to_unicode(data)
    text = "".join(_show_strings(data, mapping))
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    return PdfFacts(header.group(1).decode(), fonts, embedded, text, pages)


def _to_unicode(data: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    return mapping


def _streams(data: bytes) -> list[bytes]:
    out = []
    for match in re.finditer(rb"/Filter\s*/FlateDecode[^>]*>>\s*stream\r?\n", data):
        end = data.index(b"endstream", match.end())
        try:
            out.append(zlib.decompress(data[match.end() : end]))
        except zlib.error:
            continue
    return out


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        char = raw[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(0), 8))
            i += 1 + len(octal.group(0))
        else:
            out += ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def _show_strings(data: bytes, mapping: dict[int, str]) -> list[str]:
    shown = []
    literal = rb"\(((?:\\.|[^\\()])*)\)"
    shows = rb"(\((?:\\.|[^\\()])*\))\s*Tj|\[((?:\\.|[^\\\]])*)\]\s*TJ"
    for stream in _streams(data):
        for single, array in re.findall(shows, stream, re.S):
            raws = re.findall(literal, single or array, re.S)
            codes = b"".join(_unescape(raw) for raw in raws)
            shown.append(
                "".join(
                    mapping.get(int.from_bytes(codes[k : k + 2], "big"), "?")
                    for k in range(0, len(codes) - 1, 2)
                )
            )
    return shown
