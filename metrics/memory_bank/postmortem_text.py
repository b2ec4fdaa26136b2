"""Short summaries of a postmortem's Markdown: the sections an agent needs most."""

import re

from .render import clip

# Heading (as written in our template, case-insensitive) -> label in the file.
SUMMARY_HEADINGS = {
    "summary": "Summary",
    "trigger": "Trigger",
    "root cause": "Root cause",
    "root causes": "Root cause",
    "contributing factors": "Contributing factors",
    "lessons learned": "Lessons learned",
}
MAX_CHARS = 400

_HEADING = re.compile(r"^#{1,3}\s+(.*?)\s*#*\s*$")


def summary_sections(body: str) -> list[tuple[str, str]]:
    """[(label, one-line text)] in the order the postmortem has them; empty sections
    (a template not filled in) are left out."""
    sections: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in (body or "").splitlines():
        match = _HEADING.match(line)
        if match:
            label = SUMMARY_HEADINGS.get(match.group(1).strip().lower())
            current = [] if label else None
            if label:
                sections.append((label, current))
            continue
        if current is not None and not line.lstrip().startswith("|"):
            current.append(line)
    result = []
    for label, lines in sections:
        text = clip(" ".join(lines), MAX_CHARS)
        if text:
            result.append((label, text))
    return result
