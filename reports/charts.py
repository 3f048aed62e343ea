"""Bar charts as plain SVG geometry, computed here and drawn by templates with presentation
attributes only (the CSP forbids style attributes and we use no chart library)."""

from dataclasses import dataclass

PALETTE = ["#b22222", "#c9742b", "#2f6f9f", "#3d8b5a", "#7a5ca8", "#8a8a8a"]


@dataclass
class Bar:
    label: str
    value: float
    shown: str
    x: float
    y: float
    width: float
    height: float
    fill: str
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass
class Chart:
    title: str
    width: int
    height: int
    bars: list
    horizontal: bool
    axis_y: float = 0
    empty: bool = False


def vertical(
    title: str,
    items: list[tuple[str, float | None]],
    *,
    width=520,
    height=220,
    suffix: str = "",
    color: int = 0,
) -> Chart:
    top, bottom, left = 18, 34, 8
    plot_h = height - top - bottom
    n = max(len(items), 1)
    slot = (width - 2 * left) / n
    peak = max((v or 0 for _l, v in items), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(items):
        v = float(value or 0)
        h = plot_h * v / peak
        x = left + i * slot + slot * 0.15
        bars.append(
            Bar(
                label=label,
                value=v,
                shown=_shown(value, suffix),
                x=round(x, 1),
                y=round(top + plot_h - h, 1),
                width=round(slot * 0.7, 1),
                height=round(h, 1),
                fill=PALETTE[color % len(PALETTE)],
                label_x=round(x + slot * 0.35, 1),
                label_y=height - bottom + 14,
                value_x=round(x + slot * 0.35, 1),
                value_y=round(top + plot_h - h - 4, 1),
            )
        )
    return Chart(
        title, width, height, bars, False, axis_y=top + plot_h, empty=all(not v for _l, v in items)
    )


def horizontal(
    title: str,
    items: list[tuple[str, float | None]],
    *,
    width=520,
    row=22,
    maximum: float | None = None,
    suffix: str = "%",
    color: int = 2,
) -> Chart:
    label_w, right = 150, 56
    plot_w = width - label_w - right
    height = max(row * len(items) + 10, 40)
    peak = maximum or max((v or 0 for _l, v in items), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(items):
        v = float(value or 0)
        w = plot_w * min(v, peak) / peak
        y = 5 + i * row
        bars.append(
            Bar(
                label=label,
                value=v,
                shown=_shown(value, suffix),
                x=label_w,
                y=y + 3,
                width=round(w, 1),
                height=row - 8,
                fill=PALETTE[color % len(PALETTE)],
                label_x=label_w - 6,
                label_y=y + row / 2 + 3,
                value_x=round(label_w + w + 4, 1),
                value_y=y + row / 2 + 3,
            )
        )
    return Chart(title, width, height, bars, True, empty=all(v is None for _l, v in items))


def _shown(value, suffix: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}{suffix}"
    return f"{int(value)}{suffix}"
