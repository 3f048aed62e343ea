"""The layout engine of the large PDF tables (roster, sign-in sheet, attendance summary): one text
line per table row, laid out by WeasyPrint (core.pdf).

A row of N cells costs WeasyPrint N boxes to style, measure, lay out, draw and border. A row here
is ONE cell holding one line of text whose columns start at tab stops (`white-space: pre`,
`tab-size` = the grid step, so a row holds about one tab per column), placed from the font's own
glyph advances; the column rules are one SVG background per row group and page, drawn where the
cells' edges would be. A row whose values do not fit their columns (or use a glyph the font
lacks) gets `line = None` and the template lays it out as real cells of the same geometry.
Header and unit rows (a few per page) are always real cells.

Public API only: where Pango puts a tab stop is measured once per process from a one-line
document through WeasyPrint's `Page.anchors` (`tab_scale`), and glyph advances come from the
font's hmtx table via fontTools. What it relies on beyond API (Pango's tab-stop placement, the
font that fontconfig picks) is pinned by tests/reports/test_pdf_engine.py.
"""

import math
from functools import lru_cache
from urllib.parse import quote

PX_PER_MM = 96 / 25.4
PX_PER_PT = 96 / 72
LINE_COLOR = "#444"


CJK_FAMILY = "Noto Sans CJK SC"
EPS = 0.06  # px: keep text ends this far from a tab stop (Pango's own rounding is ~0.001 px)


@lru_cache(maxsize=1)
def advances() -> dict[int, int] | None:
    """Advance widths (per 1000 em) of the CJK font WeasyPrint uses, by code point."""
    import subprocess

    from fontTools.ttLib import TTCollection, TTFont

    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}", CJK_FAMILY],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.split("\n")
        path, index = found[0], int(found[1] or 0)
        if path.lower().endswith(".ttc"):
            font = TTCollection(path, lazy=True).fonts[index]
        else:
            font = TTFont(path, lazy=True)
        upem = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        return {cp: hmtx[glyph][0] * 1000 / upem for cp, glyph in font.getBestCmap().items()}
    except Exception:  # pragma: no cover - no fontconfig or font: every row as cells
        return None


@lru_cache(maxsize=1)
def tab_scale() -> float:
    """Where WeasyPrint/Pango really put a tab stop per px of `tab-size` (1.024 with Pango 1.5x).

    Measured once per process on a one-line document rather than assumed: the x of an element
    after one tab, from the x of its paragraph (Page.anchors, public API)."""
    from weasyprint import HTML

    from core.pdf import _font_config

    doc = HTML(
        string='<p id="p" style="white-space: pre; tab-size: 1000px; margin: 0">'
        '\t<b id="x">x</b></p>'
    ).render(font_config=_font_config())
    anchors = doc.pages[0].anchors
    width = anchors["x"][0] - anchors["p"][0]
    return width / 1000 if width > 0 else 1.0


class Grid:
    """Columns of a one-cell-per-row table.

    `stops[i]`: the tab stop (in steps of `tab_px`) where column i's text starts; `lines`: the
    x of every column edge (len(stops) + 1), in px from the text origin, which sits `origin_px`
    right of the cell's left edge.
    """

    def __init__(self, *, tab_px: int, stops, lines, origin_px: float, font_pt: float):
        self.stops, self.lines, self.origin = stops, lines, origin_px
        self.tab_px, self.tab = tab_px, tab_px * tab_scale()
        self.font_px = font_pt * PX_PER_PT
        self.widths = advances()
        self.space = (self.widths or {}).get(32, 224) * self.font_px / 1000
        self.total_px = origin_px + lines[-1]

    def text_width(self, text: str) -> float | None:
        total = 0.0
        for ch in text:
            w = self.widths.get(ord(ch))
            if w is None or ch in "\t\n":
                return None
            total += w
        return total * self.font_px / 1000

    def line(self, values) -> str | None:
        """The row as one string of text and tabs, or None when a value does not fit."""
        if self.widths is None:
            return None
        out, x = [], 0.0
        for i, value in enumerate(values):
            value = str(value)
            if not value:
                continue
            w = self.text_width(value)
            start = self.stops[i] * self.tab
            if w is None or start + w > self.lines[i + 1] - 2:
                return None
            if start:
                if x:  # stay clear of a stop that rounding could put on either side of x
                    while abs(x / self.tab - round(x / self.tab)) * self.tab < EPS:
                        out.append(" ")
                        x += self.space
                first = math.floor(x / self.tab) + 1  # Pango: the first stop strictly past x
                if first > self.stops[i]:
                    return None
                out.append("\t" * (self.stops[i] - first + 1))
            elif x:
                return None
            out.append(value)
            x = start + w
        return "".join(out)

    def fit(self, values) -> list[str]:
        """For the real-cell fallback: a smaller font size (pt) for each value too wide for its
        column, so it stays on one line (extractable whole); "" where it fits or cannot tell."""
        out = []
        for i, value in enumerate(values):
            w = self.text_width(str(value)) if self.widths else None
            room = self.lines[i + 1] - self.stops[i] * self.tab - 2
            if w and w > room:
                out.append(f"{max(4.0, self.font_px / PX_PER_PT * room / w):.2f}")
            else:
                out.append("")
        return out

    def rules(self, first=1, frame=True) -> str:
        """A CSS url() of the vertical rules (column edges from `first` on), SVG stretched."""
        w = self.total_px
        xs = [self.origin + x for x in self.lines[first:-1]]
        path = "".join(f"M{x:.2f} 0V10" for x in xs)
        if frame:
            path += f"M0.33 0V10M{w - 0.33:.2f} 0V10"
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.2f}" height="10" '
            f'viewBox="0 0 {w:.2f} 10" preserveAspectRatio="none">'
            f'<path d="{path}" stroke="{LINE_COLOR}" stroke-width="0.67" fill="none"/></svg>'
        )
        return 'url("data:image/svg+xml,' + quote(svg, safe=" =:/,.") + '")'

    def css(self, table: str, font_pt: float) -> str:
        """Rules for `table.<table>` rows and their real-cell fallback (`table.cells`)."""
        # c<i>: a fallback cell, text where the tab line puts it; h<i>: a header cell, centred.
        cells = "".join(
            f"table.{table} td.c{i} {{ width: {self.lines[i + 1] - self.stops[i] * self.tab:.2f}px; "
            f"padding: 0 0 0 {self.stops[i] * self.tab - self.lines[i]:.2f}px; }}\n"
            f"table.{table} td.h{i} {{ width: {self.lines[i + 1] - self.lines[i]:.2f}px; "
            "padding: 0; text-align: center; }\n"
            for i in range(len(self.stops))
        )
        return f"""
table.{table} {{ width: {self.total_px:.2f}px; border-collapse: separate; border-spacing: 0;
  table-layout: fixed; font-size: {font_pt}pt; }}
table.{table} th, table.{table} td {{ border: none; padding: 0 0 0 {self.origin:.2f}px;
  text-align: left; font-weight: normal; white-space: pre; tab-size: {self.tab_px}px; }}
table.{table} > tbody {{ background: {self.rules()} 0 0 / 100% 100% no-repeat; }}
table.{table} table.cells {{ width: {self.total_px:.2f}px; margin-left: -{self.origin:.2f}px;
  table-layout: fixed; border-collapse: collapse; }}
table.{table} table.cells td {{ white-space: nowrap; overflow: hidden; border: none; }}
table.{table} tr.cols > th, table.{table} tr.unit > td {{ padding: 0; }}
table.{table} tr.cols table.cells, table.{table} tr.unit table.cells {{ margin-left: 0; }}
{cells}"""
