import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator

from .models import TOKEN_USERNAME_PREFIX, Role


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


PERSON_ROLE_CHOICES = [
    ("", "No role (cannot see anything)"),
    (Role.VIEWER, "Viewer: reads everything"),
    (Role.RESPONDER, "Responder: declares and works incidents"),
    (Role.ADMIN, "Admin: also manages services, people and tokens"),
]


class PersonForm(forms.Form):
    # Django's own rule for usernames (letters, digits and @.+-_), which its admin
    # and createsuperuser apply too.
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = forms.CharField(widget=forms.PasswordInput, min_length=1)
    role = forms.ChoiceField(choices=PERSON_ROLE_CHOICES[1:])

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if username.startswith(TOKEN_USERNAME_PREFIX):
            raise forms.ValidationError("Names starting with token: are for tokens.")
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Someone already has this username.")
        return username

    def clean_password(self):
        password = self.cleaned_data["password"]
        probe = User(username=self.data.get("username", ""))
        password_validation.validate_password(password, probe)
        return password


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=PERSON_ROLE_CHOICES, required=False)
    active = forms.BooleanField(required=False)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. github-ci, alertmanager")
