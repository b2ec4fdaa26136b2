"""Turning DORA figures into what the pages show: readable durations, rates, and
weekly bar charts drawn as server-side SVG, so they read without JavaScript."""

from dataclasses import dataclass

CHART_WIDTH = 320
CHART_HEIGHT = 90
LABEL_SPACE = 14


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "no data"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{sign}{text} {unit}"
    return f"{sign}{seconds:.0f} s"


def rate(value: float | None) -> str:
    if value is None:
        return "no data"
    return f"{value * 100:.1f}%".replace(".0%", "%")


def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "no data"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the week and its value, shown on hover and read by screen readers
    empty: bool


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    first_week: str = ""
    last_week: str = ""
    peak: str = ""


def weekly_chart(trend: list[dict], key: str, *, title: str, formatter) -> Chart:
    """Bars of ``key`` per week; weeks without data get a faint stub, not a zero."""
    values = [week[key] for week in trend]
    present = [v for v in values if v is not None]
    peak = max(present, default=0) or 1
    slot = CHART_WIDTH / max(len(values), 1)
    plot_height = CHART_HEIGHT - LABEL_SPACE
    bars = []
    for index, (week, value) in enumerate(zip(trend, values, strict=True)):
        height = 2 if value is None else max(plot_height * value / peak, 1)
        bars.append(
            Bar(
                x=round(index * slot + slot * 0.15, 1),
                y=round(plot_height - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=f"week of {week['week']}: {formatter(value)}",
                empty=value is None,
            )
        )
    return Chart(
        title=title,
        bars=bars,
        first_week=trend[0]["week"] if trend else "",
        last_week=trend[-1]["week"] if trend else "",
        peak=formatter(max(present)) if present else "no data",
    )
