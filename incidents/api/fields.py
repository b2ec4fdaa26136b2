from datetime import UTC, datetime, timedelta

from django.utils import timezone
from rest_framework import serializers

from ..timeparse import TimeFormatError, parse_instant

# A record of what happened: a time well in the future, or before there was software
# to deploy, is a client's mistake (a default, a unit slip) that would skew every
# figure derived from it. A day of slack covers skewed clocks.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


class InstantField(serializers.DateTimeField):
    """A DateTimeField that insists on a zone and accepts every ISO 8601 shape that
    Python reads, stored in UTC."""

    def to_internal_value(self, value):
        try:
            instant = parse_instant(value)
        except TimeFormatError as error:
            raise serializers.ValidationError(str(error)) from None

        if instant < EARLIEST:
            raise serializers.ValidationError("Cannot be before 1990.")
        if instant > timezone.now() + FUTURE_SLACK:
            raise serializers.ValidationError(
                "Cannot be more than a day in the future."
            )
        return instant
