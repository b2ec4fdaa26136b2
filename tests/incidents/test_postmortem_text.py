import pytest

from incidents.postmortem_text import line_diff, merge_texts, split_sections

BASE = "a\nb\nc\nd\ne\n"


@pytest.mark.parametrize(
    ("theirs", "mine", "expected"),
    [
        ("A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n", "A\nb\nc\nd\nE\n"),
        ("a\nb\nX\nc\nd\ne\n", "a\nb\nc\nd\nY\ne\n", "a\nb\nX\nc\nd\nY\ne\n"),
        (BASE + "x\n", BASE + "x\n", BASE + "x\n"),
        ("A\nb\nc\nd\ne\n", "a2\nb\nc\nd\ne\n", None),
        (BASE + "x\n", BASE + "y\n", None),
    ],
)
def test_changes_to_different_lines_merge_and_overlaps_do_not(theirs, mine, expected):
    assert merge_texts(BASE, theirs, mine) == expected


def test_a_diff_is_typed_lines_without_file_headers():
    diff = line_diff("one\ntwo\n", "one\n2\n")

    assert [(line.kind, line.text) for line in diff] == [
        ("hunk", "@@ -1,3 +1,3 @@"),
        ("context", "one"),
        ("remove", "two"),
        ("add", "2"),
        ("context", ""),
    ]


def test_headings_inside_code_fences_do_not_split_sections():
    sections = split_sections("## A\n```\n## not\n```\n## B\ntext\n")

    assert [(s.title, s.is_filled) for s in sections] == [("A", True), ("B", True)]
