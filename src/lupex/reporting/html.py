"""Self-contained HTML reports: inline CSS, images embedded as data URIs, no scripts, no network."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Section", "image_html", "render_report", "table_html"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1d2329;
       background: #f4f5f7; }
header { background: #12243a; color: #fff; padding: 24px 40px; }
header h1 { margin: 0 0 6px 0; font-size: 26px; }
header p { margin: 2px 0; color: #c9d4e0; }
nav { background: #1c3350; padding: 8px 40px; }
nav a { color: #dbe6f3; margin-right: 18px; text-decoration: none; font-size: 14px; }
main { padding: 10px 40px 40px 40px; max-width: 1200px; }
section { background: #fff; border-radius: 6px; padding: 18px 24px; margin: 18px 0;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { margin-top: 0; font-size: 20px; border-bottom: 2px solid #e3e7ec; padding-bottom: 6px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e3e7ec; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { border-radius: 3px; padding: 1px 6px; font-size: 11px; font-weight: 600; }
.published { background: #d9f2e3; color: #1b6b3a; }
.estimate { background: #fff1cc; color: #7a5b00; }
.placeholder { background: #fde0e0; color: #9b1c1c; }
.user { background: #dde7ff; color: #1d3f8f; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; max-width: 560px; }
figure img { max-width: 100%; border: 1px solid #e3e7ec; }
figcaption { font-size: 12px; color: #56606b; }
.kpi { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi div { background: #eef3f9; border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.kpi b { display: block; font-size: 20px; }
.kpi span { font-size: 12px; color: #56606b; }
.note { color: #56606b; font-size: 13px; }
"""


@dataclass
class Section:
    """A report section: an anchor id, a heading and HTML fragments (already escaped)."""

    anchor: str
    heading: str
    parts: list[str] = field(default_factory=list)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:,.6g}</td>'
    if isinstance(value, bool) or value is None:
        return f"<td>{html.escape(str(value))}</td>"
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    text = html.escape(str(value))
    if text in ("published", "estimate", "placeholder", "user"):
        return f'<td><span class="badge {text}">{text}</span></td>'
    return f"<td>{text}</td>"


def table_html(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """An HTML table of dict rows (columns default to the first row's keys); values are escaped."""
    if not rows:
        return '<p class="note">(none)</p>'
    cols = list(columns) if columns is not None else list(rows[0].keys())
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(_cell(r.get(c, "")) for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def image_html(png: bytes, caption: str) -> str:
    """A figure with the PNG embedded as a data URI."""
    data = base64.b64encode(png).decode("ascii")
    cap = html.escape(caption)
    return f'<figure><img alt="{cap}" src="data:image/png;base64,{data}"><figcaption>{cap}</figcaption></figure>'


def render_report(title: str, subtitle_lines: Sequence[str], sections: Sequence[Section]) -> str:
    """The whole report as one HTML document."""
    nav = "".join(f'<a href="#{html.escape(s.anchor)}">{html.escape(s.heading)}</a>' for s in sections)
    subs = "".join(f"<p>{html.escape(line)}</p>" for line in subtitle_lines)
    body = "".join(
        f'<section id="{html.escape(s.anchor)}"><h2>{html.escape(s.heading)}</h2>{"".join(s.parts)}</section>'
        for s in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body><header><h1>{html.escape(title)}</h1>{subs}</header>"
        f"<nav>{nav}</nav><main>{body}</main></body></html>\n"
    )
