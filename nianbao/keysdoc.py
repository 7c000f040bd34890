"""docs/report-keys.md, generated from ``core.keys`` so the documented keys are the real ones."""

from __future__ import annotations

from core import keys


def render_keys() -> str:
    out = [
        "# Canonical cell keys\n",
        "Every table cell is stored and exported as `section / row / column` (blank = `null`, never 0).",
        "Generated from `core/keys.py` by `python -m nianbao.keysdoc > docs/report-keys.md`.\n",
    ]
    for fmt in (keys.FORMAT_2021, keys.FORMAT_2019):
        out.append(f"## Format {fmt}\n")
        for section in keys.SECTIONS:
            out.append(f"### `{section}` — {keys.SECTION_LABELS[section]}\n")
            out.append("| row key | official label | columns |\n|---|---|---|")
            for spec in keys.rows_for(section, fmt):
                cols = ", ".join(f"`{c}`" for c in spec.columns)
                out.append(f"| `{spec.key}` | {spec.label} | {cols} |")
            out.append("")
    out.append("## Column labels\n")
    out.append("| key | label |\n|---|---|")
    seen: set[str] = set()
    for table in (keys.ACTIVE_COLUMN_LABELS, keys.REQUEST_COLUMN_LABELS, keys.APPEAL_COLUMN_LABELS):
        for k, v in table.items():
            if k not in seen:
                seen.add(k)
                out.append(f"| `{k}` | {v} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render_keys(), end="")
