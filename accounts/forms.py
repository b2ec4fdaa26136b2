import zoneinfo
from functools import cache

from django import forms
from django.conf import settings


@cache
def _zone_choices() -> list[tuple[str, str]]:
    zones = sorted(
        zone
        for zone in zoneinfo.available_timezones()
        # Leave out legacy aliases (EST5EDT, Etc/GMT+3) that confuse more than help.
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )
    return [(zone, zone.replace("_", " ")) for zone in [*zones, "UTC"]]


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(
        required=False,
        label="Display time zone",
        help_text="Times are shown and entered in this zone; hover a time for UTC.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        team = f"The team's zone ({settings.TIME_ZONE})"
        self.fields["time_zone"].choices = [("", team), *_zone_choices()]
