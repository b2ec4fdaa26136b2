"""Pure functions over a postmortem's Markdown: its sections and line diffs.

Sections are found by ATX headings (``## Impact``). Text inside fenced code blocks
is never taken for a heading, and HTML comments (the template's guidance) do not
count as content, so an untouched template has every section empty."""

import difflib
import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Section:
    title: str
    level: int
    body: str

    @property
    def is_filled(self) -> bool:
        return bool(_COMMENT.sub("", self.body).strip())


def normalize_newlines(text: str) -> str:
    """Browsers send textareas with CRLF; the record keeps LF only, so that diffs,
    exports and the byte-for-byte round trip do not depend on who typed."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_sections(text: str) -> list[Section]:
    sections: list[Section] = []
    title, level, lines = "", 0, []
    fence = ""
    for line in normalize_newlines(text).split("\n"):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if not fence:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = ""
        heading = None if fence or fence_match else _HEADING.match(line)
        if heading:
            sections.append(Section(title, level, "\n".join(lines)))
            title, level, lines = heading.group(2).strip(), len(heading.group(1)), []
            continue
        lines.append(line)
    sections.append(Section(title, level, "\n".join(lines)))
    return [section for section in sections if section.title]


def _section_with_subsections(sections: list[Section], title: str) -> list[Section]:
    wanted = title.strip().casefold()
    for index, section in enumerate(sections):
        if section.title.casefold() != wanted:
            continue
        found = [section]
        for later in sections[index + 1 :]:
            if later.level <= section.level:
                break
            found.append(later)
        return found
    return []


def missing_sections(text: str, required: list[str]) -> list[str]:
    """Required headings that are absent or hold nothing but whitespace, comments
    and empty subheadings."""
    sections = split_sections(text)
    return [
        title
        for title in required
        if not any(s.is_filled for s in _section_with_subsections(sections, title))
    ]


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context" or "hunk"
    text: str


def line_diff(old: str, new: str, *, context: int = 3) -> list[DiffLine]:
    """A unified diff as typed lines; templates escape the text, so a diff of
    hostile Markdown is shown as text and never as markup."""
    lines = difflib.unified_diff(
        normalize_newlines(old).split("\n"),
        normalize_newlines(new).split("\n"),
        lineterm="",
        n=context,
    )
    result = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            result.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            result.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            result.append(DiffLine("remove", line[1:]))
        else:
            result.append(DiffLine("context", line[1:]))
    return result


def _changes(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    matcher = difflib.SequenceMatcher(a=base, b=other, autojunk=False)
    return [
        (i1, i2, other[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def merge_texts(base: str, theirs: str, mine: str) -> str | None:
    """Both sets of changes from ``base`` applied, when they touch different lines;
    None when they overlap, so that a person decides. The same change made on both
    sides is taken once."""
    base_lines = normalize_newlines(base).split("\n")
    changes = sorted(
        _changes(base_lines, normalize_newlines(theirs).split("\n"))
        + _changes(base_lines, normalize_newlines(mine).split("\n")),
        key=lambda change: (change[0], change[1]),
    )

    merged: list[str] = []
    position = 0
    previous = None
    for start, end, lines in changes:
        if previous is not None and (start, end, lines) == previous:
            continue  # both sides made the same change
        if start < position or (previous and start == previous[0] == previous[1]):
            return None  # overlapping edits, or two insertions at one place
        merged.extend(base_lines[position:start])
        merged.extend(lines)
        position = end
        previous = (start, end, lines)
    merged.extend(base_lines[position:])
    return "\n".join(merged)
