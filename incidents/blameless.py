"""A check for wording that blames people or judges with hindsight.

It warns and never blocks: the words are sometimes right, and the author decides.
The built-in phrases below can be replaced with the BLAMELESS_PHRASES setting (a
mapping of phrase to suggestion); admins add phrases, or withdraw a built-in one by
saving it inactive, through BlamelessPhrase in the admin. Names of people are
flagged only where they are the subject of a sentence in the contributing factors,
since naming who did what is fine in a timeline."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User

from .models import BlamelessPhrase
from .postmortem_text import normalize_newlines

DEFAULT_PHRASES = {
    "human error": "Describe the conditions that made the action possible or likely.",
    "should have": "Say what was known at the time and what made the other path "
    "hard to see.",
    "could have": "Say what would have had to be different in the system or process.",
    "careless": "Describe the situation rather than judging the person.",
    "carelessness": "Describe the situation rather than judging the person.",
    "failed to": "Say what happened and what the system allowed or did not prompt.",
    "negligent": "Describe the gap in the process, not a judgment of a person.",
    "negligence": "Describe the gap in the process, not a judgment of a person.",
    "obviously": "What is obvious in hindsight was not at the time; say what people "
    "saw then.",
    "clearly": "What is clear in hindsight was not at the time; say what people "
    "saw then.",
    "just": "'Just' makes work sound trivial; say what the step really involved.",
    "simply": "'Simply' makes work sound trivial; say what the step really involved.",
    "why didn't": "Ask what made the action hard or unlikely instead.",
    "forgot to": "Say what would have reminded anyone: a checklist, an alert, a check.",
    "mistake": "Describe the action and the context that made it reasonable then.",
    "blame": "Look for contributing factors rather than someone to blame.",
    "at fault": "Look for contributing factors rather than someone at fault.",
    "sloppy": "Describe the situation rather than judging the person.",
    "root cause": "Incidents rarely have one cause; list the contributing factors.",
}
NAME_SUGGESTION = (
    "Make the system, process or condition the subject rather than the person "
    '("the deploy script allowed ...").'
)
CONTRIBUTING_FACTORS = "contributing factors"

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Where a sentence begins: the start of a line or list item, or after . ! ?
_SENTENCE_START = r"(?:^\s*(?:[-*+]|\d+[.)])?\s*|[.!?]\s+)"


@dataclass(frozen=True)
class Finding:
    phrase: str
    line: int
    excerpt: str
    suggestion: str
    section: str


def _key(phrase: str) -> str:
    return phrase.strip().lower().replace("\u2019", "'")


def phrase_list() -> dict[str, str]:
    configured = getattr(settings, "BLAMELESS_PHRASES", None) or DEFAULT_PHRASES
    # Matching ignores case and curly apostrophes; so must the keys it looks up.
    phrases = {_key(phrase): text for phrase, text in configured.items()}
    for row in BlamelessPhrase.objects.all():
        key = _key(row.phrase)
        if not row.is_active:
            phrases.pop(key, None)
            continue
        phrases[key] = row.suggestion or phrases.get(key, "Consider other wording.")
    return phrases


def people_names() -> set[str]:
    """Usernames and first names of active people, three letters or more, so that
    "Al" or "Jo" do not flag every other sentence."""
    names = set()
    for username, first_name in User.objects.filter(is_active=True).values_list(
        "username", "first_name"
    ):
        for name in (username, first_name):
            name = (name or "").strip()
            if len(name) >= 3 and name.replace("-", "").isalpha():
                names.add(name)
    return names


def _phrase_pattern(phrases: dict[str, str]) -> re.Pattern | None:
    if not phrases:
        return None
    alternatives = sorted(phrases, key=len, reverse=True)
    # A straight or typographic apostrophe, whichever the author's keyboard made.
    body = "|".join(
        re.escape(phrase).replace("'", "['\u2019]") for phrase in alternatives
    )
    return re.compile(rf"(?<![\w-])({body})(?![\w-])", re.IGNORECASE)


def _name_pattern(names: set[str]) -> re.Pattern | None:
    if not names:
        return None
    body = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(
        rf"{_SENTENCE_START}@?({body})(?![\w'\u2019-])", re.IGNORECASE | re.MULTILINE
    )


def _excerpt(line: str, start: int, end: int) -> str:
    left = max(0, start - 30)
    right = min(len(line), end + 30)
    prefix = "…" if left else ""
    suffix = "…" if right < len(line) else ""
    return prefix + line[left:right].strip() + suffix


def check_text(text: str) -> list[Finding]:
    phrases = phrase_list()
    phrase_re = _phrase_pattern(phrases)
    name_re = _name_pattern(people_names())

    findings = []
    section = ""
    fence = ""
    source = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text or "")
    for number, line in enumerate(normalize_newlines(source).split("\n"), start=1):
        if _FENCE.match(line):
            fence = "" if fence else "open"
            continue
        heading = None if fence else _HEADING.match(line)
        if fence:
            continue
        if heading:
            section = heading.group(1).strip()
            continue

        for match in phrase_re.finditer(line) if phrase_re else ():
            phrase = match.group(1)
            suggestion = phrases.get(_key(phrase), "Consider other wording.")
            findings.append(
                Finding(
                    phrase,
                    number,
                    _excerpt(line, *match.span(1)),
                    suggestion,
                    section,
                )
            )
        if name_re and section.casefold() == CONTRIBUTING_FACTORS:
            for match in name_re.finditer(line):
                findings.append(
                    Finding(
                        match.group(1),
                        number,
                        _excerpt(line, *match.span(1)),
                        NAME_SUGGESTION,
                        section,
                    )
                )
    return findings
