"""A 16:9 PowerPoint deck with python-pptx: title, picture and text slides, reproducible bytes.

What :mod:`forecast.briefing` writes with. Blank layouts and text boxes placed here (the default
template's placeholders are laid out for 4:3 and are not moved when the slide is widened).
Text is dark grey on white (contrast 16:1), at least 14 pt.

>>> deck = Deck(result)  # doctest: +SKIP
>>> deck.text_slide("Sources", ["a", "b"], "notes")  # doctest: +SKIP
>>> deck.save(Path("briefing.pptx"))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import xarray as xr
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from .labels import shorten

__all__ = ["SLIDE_EMU", "Deck", "created_time", "fixed_zip"]

SLIDE_EMU = (12_192_000, 6_858_000)
"""Width and height of a 16:9 slide in EMU (13.333 x 7.5 in)."""

INK = RGBColor(0x22, 0x22, 0x22)
MUTED = RGBColor(0x55, 0x55, 0x55)  # 7.5:1 on white
BLANK_LAYOUT = 6
"""The default template's blank layout."""
QUESTION_CHARS = 300
"""A longer question is cut (with an ellipsis) on the title slide."""
MARGIN = Inches(0.5)


class Deck:
    """A 16:9 deck being built from a result; :meth:`save` writes it with fixed dates."""

    def __init__(self, result: xr.DataTree) -> None:
        self.prs = Presentation()
        # before any slide is added: python-pptx's default is 4:3 (10 x 7.5 in)
        self.prs.slide_width, self.prs.slide_height = Emu(SLIDE_EMU[0]), Emu(SLIDE_EMU[1])
        self.when = created_time(result)
        props = self.prs.core_properties
        props.title = shorten(str(result.attrs.get("question", "")), 250)
        props.subject = "forecast briefing"
        props.author = props.last_modified_by = "forecast"
        props.revision = 1
        props.created = props.modified = self.when

    # -------------------------------------------------------------------------- slides
    def _slide(self, title: str | None):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[BLANK_LAYOUT])
        if title:
            self._text(slide, title, top=Inches(0.3), height=Inches(0.9), size=28, bold=True)
        return slide

    def _text(self, slide, text: str, *, top, height, size: float, bold: bool = False, colour=INK):
        box = slide.shapes.add_textbox(MARGIN, top, Emu(SLIDE_EMU[0]) - 2 * MARGIN, height)
        frame = box.text_frame
        frame.word_wrap = True
        lines = text.split("\n")
        for k, line in enumerate(lines):
            para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
            run = para.add_run()
            run.text = line
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.color.rgb = colour
        return box

    def title_slide(self, question: str, headline: str, when: str, moved: str) -> None:
        """The question, P(outcome) now with its band, the as-of date and what moved it."""
        slide = self._slide(None)
        self._text(
            slide, shorten(question, QUESTION_CHARS), top=Inches(0.6), height=Inches(2.0),
            size=30, bold=True,
        )  # fmt: skip
        self._text(slide, headline, top=Inches(2.9), height=Inches(1.0), size=40, bold=True)
        self._text(slide, when, top=Inches(4.0), height=Inches(0.6), size=20, colour=MUTED)
        self._text(slide, moved, top=Inches(4.8), height=Inches(1.6), size=20)
        slide.notes_slide.notes_text_frame.text = f"{question}\n{headline}, {when}. {moved}"

    def picture_slide(self, title: str, png: bytes, alt: str, notes: str) -> None:
        """A chart under a title, with its alt text and speaker notes."""
        slide = self._slide(title)
        top = Inches(1.2)
        height = Emu(SLIDE_EMU[1]) - top - Inches(0.2)
        width = int(height * 16 / 9)
        left = (SLIDE_EMU[0] - width) // 2
        pic = slide.shapes.add_picture(io.BytesIO(png), Emu(left), top, height=height)
        if pic.width > Emu(SLIDE_EMU[0]) - 2 * MARGIN:  # a tall chart: fit the width instead
            scale = (SLIDE_EMU[0] - 2 * MARGIN) / pic.width
            pic.width, pic.height = int(pic.width * scale), int(pic.height * scale)
        pic.left = (SLIDE_EMU[0] - pic.width) // 2
        # python-pptx has no public API for alt text (its issue #1139): PowerPoint reads it from
        # the ``descr`` attribute of the picture's non-visual properties, ``p:cNvPr``.
        pic.element.nvPicPr.cNvPr.set("descr", alt)
        slide.notes_slide.notes_text_frame.text = notes

    def text_slide(self, title: str, lines: list[str], notes: str) -> None:
        """A title and lines of text (at least 16 pt)."""
        slide = self._slide(title)
        size = 20 if len(lines) <= 6 else 16
        self._text(slide, "\n".join(lines), top=Inches(1.3), height=Inches(5.8), size=size)
        slide.notes_slide.notes_text_frame.text = notes

    def save(self, path: Path) -> None:
        """Write the deck, every zip entry dated with the result's time (reproducible)."""
        buf = io.BytesIO()
        self.prs.core_properties.modified = self.when  # python-pptx may have set the clock
        self.prs.save(buf)
        Path(path).write_bytes(fixed_zip(buf.getvalue(), self.when))


def created_time(result: xr.DataTree) -> dt.datetime:
    """The result's ``created`` time (UTC, naive), the deck's only date; 1980 when unknown."""
    try:
        when = dt.datetime.fromisoformat(str(result.attrs.get("created", "")))
    except ValueError:
        return dt.datetime(1980, 1, 1)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return max(when, dt.datetime(1980, 1, 1))


def fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """Return the zip ``data`` with every entry dated ``when`` (same order, same content).

    python-pptx dates each entry with the clock; a deck must not change when nothing did.
    """
    out = io.BytesIO()
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
