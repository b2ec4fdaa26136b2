"""Checks that hold wherever an action item is written. They sit on the model
fields, so ModelForms and ``full_clean`` run them and DRF's ModelSerializers copy
them: the pages, the API and the postmortem import refuse the same values."""

from datetime import date
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

# A due date is a plan someone will act on; one before there was software to track,
# or past the end of the century, is a typo or a default that would sort first or
# last in every overdue list forever.
EARLIEST_DUE_DATE = date(1990, 1, 1)
LATEST_DUE_DATE = date(2100, 12, 31)


def validate_web_url(value: str) -> None:
    # The URL becomes a link's href: URLField alone would also take ftp://, and an
    # import that skipped it could store javascript:.
    if urlsplit(value).scheme.lower() not in {"http", "https"}:
        raise ValidationError(
            "Use an http:// or https:// address.", code="invalid_scheme"
        )


def validate_due_date(value: date) -> None:
    if not EARLIEST_DUE_DATE <= value <= LATEST_DUE_DATE:
        raise ValidationError(
            f"Must be between {EARLIEST_DUE_DATE:%Y-%m-%d} and "
            f"{LATEST_DUE_DATE:%Y-%m-%d}.",
            code="out_of_range",
        )
