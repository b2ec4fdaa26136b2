from rest_framework import serializers

from ..timeparse import TimeFormatError, parse_instant


class InstantField(serializers.DateTimeField):
    """A DateTimeField that insists on a zone and accepts every ISO 8601 shape that
    Python reads, stored in UTC."""

    def to_internal_value(self, value):
        try:
            return parse_instant(value)
        except TimeFormatError as error:
            raise serializers.ValidationError(str(error)) from None
