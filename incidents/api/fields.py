from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

from ..timeparse import TimeFormatError, check_plausible, parse_instant


class InstantField(serializers.DateTimeField):
    """A DateTimeField that insists on a zone and accepts every ISO 8601 shape that
    Python reads, stored in UTC."""

    def to_internal_value(self, value):
        try:
            instant = parse_instant(value)
            check_plausible(instant)
        except TimeFormatError as error:
            raise serializers.ValidationError(str(error)) from None
        return instant


class InstantFilterField(IsoDateTimeField):
    def to_python(self, value):
        instant = super().to_python(value)
        try:
            # The database adapter moves the time to UTC; an instant that has no
            # UTC form (9999-12-31T23:59:59-05:00) would fail there, as a 500.
            return instant if instant is None else instant.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Is out of range.", code="invalid") from None


class InstantFilter(django_filters.IsoDateTimeFilter):
    """A bound for a list, so any time a datetime holds will do: no 1990 floor."""

    field_class = InstantFilterField
