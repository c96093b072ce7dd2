"""Read the figures back out of a rendered HTML page (stdlib parser, no browser needed)."""

from __future__ import annotations

from html.parser import HTMLParser


class Figures(HTMLParser):
    """Collects the KPI rows, the chart marks and element texts by id."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.charts: list[dict[str, object]] = []
        self.texts: dict[str, str] = {}
        self._id: str | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-kpi" in a:
            self.rows.append(a)
        elif tag == "figure":
            self.charts.append({"title": a.get("data-title"), "marks": []})
        elif tag in ("rect", "circle") and "data-value" in a:
            marks = self.charts[-1]["marks"]
            assert isinstance(marks, list)
            marks.append((a["data-label"], a["data-value"]))
        if "id" in a:
            self._id = a["id"]

    def handle_data(self, data: str) -> None:
        if self._id is not None and data.strip():
            self.texts[self._id] = data.strip()
            self._id = None

    def chart(self, title_start: str) -> list[tuple[str, str]]:
        for chart in self.charts:
            if str(chart["title"]).startswith(title_start):
                marks = chart["marks"]
                assert isinstance(marks, list)
                return marks
        raise AssertionError(f"no chart titled {title_start!r}")
