"""The fax catalogue, ``flows/fax.yaml``: documents a caller may have faxed (option 3).

Each document has the key the caller presses, a title per locale (the call
flow's locales, all of them), and either ``text`` (a UTF-8 file in
``flows/fax/``, rendered to PDF with a CJK font) or ``pdf`` (a PDF file in
``flows/fax/``, sent as it is). Problems raise FlowFileError (file:line: reason).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ivr.flows.yamlfile import Located, load_mapping, locale_texts

CATALOGUE_FILE = "fax.yaml"
DOCUMENTS_DIR = "fax"
KEY = re.compile(r"\d{1,2}")
FIELDS = {"title", "text", "pdf"}
MAX_TEXT = 200_000  # characters: a few pages of fax, not a book


@dataclass(frozen=True)
class Document:
    key: str
    titles: dict[str, str]
    text: str = field(default="", repr=False)
    pdf: Path | None = None

    def title(self, locale: str) -> str:
        return self.titles.get(locale) or next(iter(self.titles.values()))


@dataclass(frozen=True)
class Catalogue:
    documents: dict[str, Document]
    source: Path | None = None

    def get(self, key: str) -> Document | None:
        return self.documents.get(key)

    @property
    def key_digits(self) -> int | None:
        """Keys all one digit: the caller presses one key; else keys end with ``#``."""
        return 1 if all(len(k) == 1 for k in self.documents) else None


def load_catalogue(flows_dir: Path | str, locales: Iterable[str]) -> Catalogue:
    """Load and check ``fax.yaml``; a missing file is an empty catalogue."""
    base = Path(flows_dir)
    path = base / CATALOGUE_FILE
    if not path.exists():
        return Catalogue({}, None)
    data = load_mapping(path, "expected one key, documents")
    if set(data) != {"documents"}:
        raise data.error("expected one key, documents")
    raw = data["documents"]
    if not isinstance(raw, Located) or not raw:
        raise data.error("documents: expected a mapping of key to document", "documents")
    locales = list(locales)
    documents: dict[str, Document] = {}
    for key, spec in raw.items():
        documents[str(key)] = _document(str(key), spec, raw, base, locales)
    if len(documents) != len(raw):  # 1 and "1" both given
        raise raw.error("documents: the same key is given twice", None)
    return Catalogue(documents, path)


def _document(key: str, spec: object, where: Located, base: Path, locales: list[str]) -> Document:
    if not KEY.fullmatch(key):
        raise where.error(f"document {key!r}: the key must be one or two digits 0-9", key)
    if not isinstance(spec, Located):
        raise where.error(f"document {key}: expected title and text (or pdf)", key)
    for name in spec:
        if name not in FIELDS:
            raise spec.error(f"document {key}: unknown field {name!r}", name)
    titles = locale_texts(spec, "title", locales, what=f"document {key}: title")
    if ("text" in spec) == ("pdf" in spec):
        raise spec.error(f"document {key}: give either text or pdf (a file in fax/)", None)
    kind = "text" if "text" in spec else "pdf"
    file = _file(key, kind, spec, base)
    if kind == "pdf":
        if file.read_bytes()[:5] != b"%PDF-":
            raise spec.error(f"document {key}: pdf: {file.name} is not a PDF file", "pdf")
        return Document(key, titles, pdf=file)
    try:
        text = file.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise spec.error(f"document {key}: text: {file.name} is not UTF-8 text", "text") from None
    if not text:
        raise spec.error(f"document {key}: text: {file.name} is empty", "text")
    if len(text) > MAX_TEXT:
        raise spec.error(f"document {key}: text: {file.name} is too long", "text")
    return Document(key, titles, text=text)


def _file(key: str, kind: str, spec: Located, base: Path) -> Path:
    name = spec[kind]
    if not isinstance(name, str) or not name.strip():
        raise spec.error(f"document {key}: {kind}: expected a file name in fax/", kind)
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise spec.error(f"document {key}: {kind}: must name a file inside fax/", kind)
    file = base / DOCUMENTS_DIR / relative
    if not file.is_file():
        raise spec.error(f"document {key}: {kind}: no file {DOCUMENTS_DIR}/{name}", kind)
    return file
