"""The incident list's filters, shared by the page and its CSV export."""

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from .models import Incident, Service, TimelineEntry
from .selectors import people

OPEN = "open"

# Each sort names the columns it orders by; "-id" last keeps pages stable.
SORTS = {
    "": ("is_resolved", "-started_at", "-id"),
    "newest": ("-started_at", "-id"),
    "oldest": ("started_at", "id"),
    "severity": ("severity", "-started_at", "-id"),
    "updated": ("-updated_at", "-id"),
}
SORT_CHOICES = [
    ("", "Open first, newest"),
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("severity", "Most severe first"),
    ("updated", "Recently updated"),
]


def _start_of_day(day: date, *, days_later: int = 0) -> datetime | None:
    # make_aware in the viewer's zone, so that a day is the person's own day, and
    # one across a DST change is 23 or 25 hours long, as it really is.
    # At the calendar's edges (the day after 9999-12-31, or 0001-01-01 in a zone
    # east of UTC) the start has no UTC form: it lies beyond every stored time, so
    # None, a bound that excludes nothing, rather than an OverflowError.
    try:
        start = timezone.make_aware(
            datetime.combine(day + timedelta(days=days_later), time.min)
        )
        start.astimezone(UTC)
    except OverflowError:
        return None
    return start


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_text",
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Title, summary, notes or INC-42"}
        ),
    )
    status = django_filters.ChoiceFilter(
        choices=[(OPEN, "Open (not resolved)"), *Incident.Status.choices],
        method="filter_status",
        empty_label="Any status",
    )
    severity = django_filters.ChoiceFilter(
        choices=Incident.Severity.choices, empty_label="Any severity"
    )
    service = django_filters.ModelChoiceFilter(
        field_name="services",
        to_field_name="slug",
        queryset=Service.objects.order_by("slug"),
        empty_label="Any service",
        # An incident names a service once, so the join adds no duplicates.
        distinct=False,
    )
    commander = django_filters.ModelChoiceFilter(
        to_field_name="username",
        queryset=User.objects.none(),
        empty_label="Any commander",
    )
    started_from = django_filters.DateFilter(
        method="filter_started_from",
        label="Started on or after",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    started_to = django_filters.DateFilter(
        method="filter_started_to",
        label="Started on or before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES[1:],
        method="filter_sort",
        empty_label=SORT_CHOICES[0][1],
        label="Sort",
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["commander"].queryset = people()

    def filter_text(self, queryset, name, value: str):
        text = value.strip()
        if not text:
            return queryset

        matches = (
            Q(title__icontains=text)
            | Q(summary__icontains=text)
            | Q(
                pk__in=TimelineEntry.objects.filter(
                    kind=TimelineEntry.Kind.NOTE, body__icontains=text
                ).values("incident_id")
            )
        )
        pk = Incident.pk_from_key(text)
        if pk is not None:
            matches |= Q(pk=pk)
        return queryset.filter(matches)

    def filter_status(self, queryset, name, value: str):
        if value == OPEN:
            return queryset.exclude(status=Incident.Status.RESOLVED)
        return queryset.filter(status=value)

    def filter_started_from(self, queryset, name, value):
        start = _start_of_day(value)
        return queryset if start is None else queryset.filter(started_at__gte=start)

    def filter_started_to(self, queryset, name, value):
        end = _start_of_day(value, days_later=1)
        return queryset if end is None else queryset.filter(started_at__lt=end)

    def filter_sort(self, queryset, name, value: str):
        return queryset.order_by(*SORTS[value])
