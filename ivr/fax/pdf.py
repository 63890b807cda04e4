"""A catalogue document as a fax-ready PDF (A4, black on white, CJK font embedded).

Text documents are typeset with fpdf2 in a CJK TrueType/OpenType font:
``IVR_FAX_FONT``, else the first of :data:`FONT_CANDIDATES` present (Debian's
fonts-wqy-zenhei or fonts-noto-cjk). PDF documents are sent as they are.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode

from ivr.fax.catalogue import Document

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
FONT_FAMILY = "cjk"
HEADER = "劳动保障电话咨询服务热线 12333 · 传真索取"

# fontTools warns about bitmap tables it leaves out of the embedded subset; that is expected.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class FontMissing(RuntimeError):
    """No CJK font: a fax of Chinese text cannot be rendered."""


def find_font(configured: Path | None = None) -> Path:
    if configured is not None:
        if not configured.is_file():
            raise FontMissing(f"IVR_FAX_FONT={configured} is not a font file")
        return configured
    for candidate in FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FontMissing(
        "no CJK font found for fax PDFs: install the Debian package fonts-wqy-zenhei "
        "(or fonts-noto-cjk), or set IVR_FAX_FONT to a TTF/TTC/OTF font with Chinese glyphs"
    )


def render(document: Document, font: Path, *, printed_at: datetime | None = None) -> bytes:
    """The document as PDF bytes (a ``pdf:`` document's own file, or its text typeset).

    With ``printed_at`` the bytes are the same on every call (it is the footer's
    stamp and the PDF's creation date), so a document rendered again when a fax
    API fetches it is exactly the one that was sent.
    """
    if document.pdf is not None:
        return document.pdf.read_bytes()
    title = document.titles.get("zh-CN") or document.title("zh-CN")
    pdf = _Fax(title=title, printed_at=printed_at)
    if printed_at is not None:
        pdf.set_creation_date(printed_at)
    pdf.add_font(FONT_FAMILY, fname=str(font))
    pdf.set_title(title)
    pdf.set_creator("12333 IVR fax on demand")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, size=18)
    pdf.multi_cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT_FAMILY, size=12)
    for paragraph in document.text.split("\n"):
        if paragraph.strip():
            # Chinese has no spaces to break at: wrap at any character.
            pdf.multi_cell(
                0,
                7.5,
                paragraph.rstrip(),
                align="L",
                new_x="LMARGIN",
                new_y="NEXT",
                wrapmode=WrapMode.CHAR,
            )
        else:
            pdf.ln(3.5)
    return bytes(pdf.output())


class _Fax(FPDF):
    def __init__(self, title: str, printed_at: datetime | None) -> None:
        super().__init__(format="A4")
        self.doc_title = title
        self.printed_at = printed_at

    def header(self) -> None:
        self.set_font(FONT_FAMILY, size=9)
        self.cell(0, 6, HEADER, new_x="LMARGIN", new_y="NEXT")
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT_FAMILY, size=9)
        stamp = f"{self.printed_at:%Y-%m-%d %H:%M} · " if self.printed_at else ""
        self.cell(0, 6, f"{stamp}{self.doc_title} · 第 {self.page_no()} 页", align="C")
