"""Write the report's sections as Markdown (plots linked) and as one self-contained HTML page (plots inline)."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from sft_ablate.report.tables import Table


@dataclass
class Plot:
    path: Path
    caption: str


@dataclass
class Section:
    title: str
    level: int = 2
    items: list[str | Table | Plot] = field(default_factory=list)  # str: a paragraph


def write_csvs(sections: list[Section], tables_dir: Path) -> None:
    tables_dir.mkdir(parents=True, exist_ok=True)
    for item in _items(sections, Table):
        item.data.to_csv(tables_dir / f"{item.name}.csv", index=False)


def to_markdown(title: str, sections: list[Section], out_dir: Path) -> str:
    lines = [f"# {title}", ""]
    for section in sections:
        lines += [f"{'#' * section.level} {section.title}", ""]
        for item in section.items:
            if isinstance(item, str):
                lines += [item, ""]
            elif isinstance(item, Table):
                shown = item.shown.map(_md_cell)
                shown.columns = [_md_cell(c) for c in shown.columns]
                lines += [
                    f"*{item.caption}* (`tables/{item.name}.csv`)",
                    "",
                    shown.to_markdown(index=False, disable_numparse=True),
                    "",
                ]
            else:
                lines += [f"![{item.caption}]({item.path.relative_to(out_dir).as_posix()})", "", f"*{item.caption}*", ""]
    return "\n".join(lines)


def to_html(title: str, sections: list[Section]) -> str:
    body = [f"<h1>{html.escape(title)}</h1>"]
    toc = [f'<li><a href="#s{i}">{html.escape(s.title)}</a></li>' for i, s in enumerate(sections) if s.level == 2]
    body.append(f"<nav><ul>{''.join(toc)}</ul></nav>")
    for i, section in enumerate(sections):
        body.append(f'<h{section.level} id="s{i}">{html.escape(section.title)}</h{section.level}>')
        for item in section.items:
            if isinstance(item, str):
                body.append(f"<p>{_inline(item)}</p>")
            elif isinstance(item, Table):
                table = _html_table(item.shown)
                body.append(
                    f'<figure class="table"><figcaption>{_inline(item.caption)} '
                    f'<span class="file">tables/{item.name}.csv</span></figcaption>{table}</figure>'
                )
            else:  # the PNG itself, base64-encoded: the page needs no other file
                data = base64.b64encode(item.path.read_bytes()).decode()
                body.append(
                    f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(item.caption)}">'
                    f"<figcaption>{_inline(item.caption)}</figcaption></figure>"
                )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; white-space: pre-wrap; }}
th {{ background: #f3f3f3; }}
figure {{ margin: 1em 0; overflow-x: auto; }}
figcaption {{ font-size: 0.85em; color: #555; margin: 0.3em 0; }}
img {{ max-width: 100%; }}
.file {{ color: #999; font-family: monospace; }}
code {{ background: #f3f3f3; padding: 0 3px; }}
</style></head>
<body>
{chr(10).join(body)}
</body></html>
"""


def _html_table(frame) -> str:
    """Cells escaped but otherwise verbatim (pandas' to_html would print newlines as a literal \\n)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _cell(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _items(sections: list[Section], kind: type) -> list:
    return [item for s in sections for item in s.items if isinstance(item, kind)]


def _md_cell(value) -> str:
    """Table cells on one line, with pipes escaped, so the Markdown table holds together."""
    return str(value).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _inline(text: str) -> str:
    """Escape, then render the Markdown the report's paragraphs use: `code` and **bold** spans."""
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
