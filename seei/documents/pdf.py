"""A small layer over fpdf2 for SEEI's official PDFs (admission minutes, auction minutes, receipts).

It embeds DejaVu Sans (it has Latin and Arabic glyphs) and turns HarfBuzz text shaping on, so
Arabic letters join and run right to left; a paragraph or cell whose first strong character is
right-to-left is also aligned to the right. Everything is written as text, never as images, so
the PDF can be searched and read back (``pypdf``), as the tests do.

    doc = PdfBuilder("Procès-verbal", lang="fr", created_at=now)
    doc.title("Procès-verbal d'admission", subtitle="محضر القبول · Admission minutes")
    doc.heading("Lots")
    doc.table(["Lot", "Titre"], [["1", "Fauteuils"]], widths=(15, 85))
    data = doc.output()
"""

import logging
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

# fontTools logs every glyph subset at INFO: noise in the server's log for every PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FAMILY = "DejaVu"

INK = (27, 36, 48)
MUTED = (91, 102, 117)
HEADER_FILL = (231, 239, 233)


def is_rtl(text: str) -> bool:
    """True when the first character with a strong direction is right-to-left (Arabic, Hebrew)."""
    for char in text or "":
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def align_for(text: str, default: str = "L") -> str:
    return "R" if is_rtl(text) else default


class _Pdf(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text

    def footer(self):
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, f"{self.footer_text}   {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(*INK)


class PdfBuilder:
    """One PDF document, built top to bottom. Widths are percentages of the text width."""

    def __init__(self, title: str, *, lang: str = "fr", created_at: datetime | None = None, footer: str = ""):
        if not FONT_REGULAR.exists():
            raise RuntimeError(f"{FONT_REGULAR} is missing: install fonts-dejavu-core (make gettext).")
        self.lang = lang
        self.pdf = _Pdf(footer or title)
        self.pdf.add_font(FAMILY, "", str(FONT_REGULAR))
        self.pdf.add_font(FAMILY, "B", str(FONT_BOLD))
        self.pdf.set_text_shaping(True)
        self.pdf.set_title(title)
        self.pdf.set_lang(lang)
        self.pdf.set_creator("SEEI")
        if created_at is not None:
            self.pdf.set_creation_date(created_at)
        self.pdf.set_margins(15, 15, 15)
        self.pdf.set_auto_page_break(True, margin=18)
        self.pdf.add_page()
        self.pdf.set_text_color(*INK)

    # Text --------------------------------------------------------------------------------

    def _write(
        self,
        text: str,
        *,
        size: float,
        bold: bool = False,
        color=INK,
        height: float | None = None,
        align: str | None = None,
    ):
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*color)
        self.pdf.multi_cell(
            0,
            height or size * 0.55,
            text,
            align=align or align_for(text, "R" if self.lang == "ar" else "L"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.pdf.set_text_color(*INK)

    def title(self, text: str, subtitle: str = ""):
        self._write(text, size=16, bold=True, height=9)
        if subtitle:
            self._write(subtitle, size=10, color=MUTED)
        self.spacer(3)

    def heading(self, text: str, note: str = ""):
        """A section heading; ``note`` is a smaller line under it (e.g. the heading in other languages)."""
        if self.pdf.will_page_break(35):  # never a heading alone at the foot of a page
            self.pdf.add_page()
        else:
            self.spacer(3)
        self._write(text, size=12.5, bold=True, height=7)
        if note:
            self._write(note, size=8.5, color=MUTED)
        self.spacer(1)

    def paragraph(self, text: str, *, bold: bool = False, size: float = 10, muted: bool = False):
        self._write(text, size=size, bold=bold, color=MUTED if muted else INK)

    def fields(self, pairs: Sequence[tuple[str, str]], label_width: int = 32):
        """Label/value lines, e.g. the notice's reference, buyer and deadline."""
        self.table([], pairs, widths=(label_width, 100 - label_width), borders=False, bold_first_column=True)

    def spacer(self, height: float = 3):
        self.pdf.ln(height)

    # Tables ------------------------------------------------------------------------------

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        widths: Sequence[int] | None = None,
        borders: bool = True,
        bold_first_column: bool = False,
        size: float = 9,
    ):
        """A table; every cell is aligned by the direction of its own text."""
        columns = len(headers) or max((len(row) for row in rows), default=1)
        if not rows and not headers:
            return
        self.pdf.set_font(FAMILY, "", size)
        default = "R" if self.lang == "ar" else "L"
        options = dict(
            col_widths=tuple(widths) if widths else None,
            width=self.pdf.epw,
            line_height=size * 0.55,
            first_row_as_headings=bool(headers),
            borders_layout="ALL" if borders else "NONE",
            headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
            padding=1.2,
        )
        with self.pdf.table(**options) as table:
            if headers:
                row = table.row()
                for text in headers:
                    row.cell(str(text), align=align_for(str(text), default))
            for values in rows:
                row = table.row()
                values = list(values) + [""] * (columns - len(values))
                for index, value in enumerate(values):
                    text = "" if value is None else str(value)
                    style = FontFace(emphasis="BOLD") if bold_first_column and index == 0 else None
                    row.cell(text, align=align_for(text, default), style=style)
        self.spacer(2)

    # Result ------------------------------------------------------------------------------

    def output(self) -> bytes:
        return bytes(self.pdf.output())
