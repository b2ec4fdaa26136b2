"""Filters shared by the API's filter sets."""

import django_filters
from django import forms

# The widest id any of our tables can hold (a signed 64-bit integer).
_MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", _MAX_ID)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    """A row's id given as a query parameter, for filters that follow a relation.

    NumberFilter reads any decimal, and a lookup through a relation passes it to the
    database unchecked: SQLite raises OverflowError (a 500) past 64 bits. Bounding
    it here turns an absurd id into a 400 naming the parameter, and a fraction too.
    Filters generated from a ForeignKey (ModelChoiceFilter) already answer 400."""

    field_class = IdField


class StrictBooleanField(forms.NullBooleanField):
    """true/false (and 1/0, yes/no); anything else is an error rather than
    silently "no filter", which would answer a typo with every row."""

    # NullBooleanField's select widget turns an unknown value into None before
    # it can be refused.
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
