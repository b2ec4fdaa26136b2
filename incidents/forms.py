from django import forms
from django.db import connections
from django.utils import timezone

from .models import Incident, Service, TimelineEntry
from .models.incidents import NOTE_MAX_LENGTH
from .selectors import people
from .services.incidents import TIME_FIELDS, validate_times
from .timeparse import EARLIEST


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PastDateTimeField(forms.DateTimeField):
    """A time that has already happened, entered in the person's zone."""

    widget = DateTimeLocalInput

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        # The API's floor, which also keeps year 1 in a zone east of UTC from
        # reaching the database, where it has no UTC form (an OverflowError).
        if value < EARLIEST:
            raise forms.ValidationError("Cannot be before 1990.")
        if value > timezone.now():
            raise forms.ValidationError("Cannot be in the future.")


class ServicesField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=Service.objects.order_by("slug"), **kwargs)

    def clean(self, value):
        # Django looks the ids up with IN (...), and SQLite raises OverflowError
        # for an integer wider than its column instead of matching nothing.
        for pk in value if isinstance(value, list | tuple) else ():
            if not self._id_fits(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super().clean(value)

    def _id_fits(self, pk) -> bool:
        try:
            number = int(pk)
        except (TypeError, ValueError):
            return True  # not an id at all, which Django names as such
        column = self.queryset.model._meta.pk.get_internal_type()
        ops = connections[self.queryset.db].ops
        low, high = ops.integer_field_range(column)
        return low <= number <= high


class DeclareIncidentForm(forms.Form):
    title = forms.CharField(max_length=300)
    severity = forms.ChoiceField(choices=Incident.Severity.choices)
    services = ServicesField()
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    started_at = PastDateTimeField(
        required=False,
        label="Impact started",
        help_text="In your time zone. Leave empty for now.",
    )
    commander = forms.ModelChoiceField(
        queryset=people(), required=False, to_field_name="username"
    )
    communications_lead = forms.ModelChoiceField(
        queryset=people(), required=False, to_field_name="username"
    )
    impact_percent = forms.DecimalField(
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
        label="Users affected (%)",
        help_text="Leave empty for 100%.",
    )


class NoteForm(forms.Form):
    # Notes are read in a timeline during an outage; a novel belongs in the postmortem.
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note",
        max_length=NOTE_MAX_LENGTH,
        error_messages={"required": "A note needs some text."},
    )
    tag = forms.ChoiceField(
        choices=[("", "No tag"), *TimelineEntry.Tag.choices], required=False
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Incident.Status.choices)


class CauseForm(forms.Form):
    # Ids are 64-bit; SQLite raises OverflowError for a wider one instead of
    # matching nothing.
    deployment = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class CauseSearchForm(forms.Form):
    cause_q = forms.CharField(max_length=100, required=False, label="Search")


class IncidentEditForm(forms.Form):
    title = forms.CharField(max_length=300)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    severity = forms.ChoiceField(choices=Incident.Severity.choices)
    impact_percent = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=2, label="Users affected (%)"
    )
    commander = forms.ModelChoiceField(
        queryset=people(), required=False, to_field_name="username"
    )
    communications_lead = forms.ModelChoiceField(
        queryset=people(), required=False, to_field_name="username"
    )
    services = ServicesField()

    @classmethod
    def for_incident(cls, incident: Incident, data=None) -> "IncidentEditForm":
        initial = {name: getattr(incident, name) for name in cls.base_fields}
        initial["services"] = list(incident.services.all())
        return cls(data, initial=initial)

    def changes(self) -> dict:
        """Only the fields the person changed, so the timeline records just those."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class TimesForm(forms.Form):
    """Correct an incident's times, entered in the person's zone. Every error lands
    on its field and nothing is saved, as validate_times() is the same rule the
    services enforce.

    The inputs show minutes only, so a stored time with seconds comes back truncated;
    a field counts as changed only when its minute differs, else a plain "save"
    would record corrections nobody made."""

    started_at = PastDateTimeField(label="Impact started")
    detected_at = PastDateTimeField(required=False)
    acknowledged_at = PastDateTimeField(required=False)
    mitigated_at = PastDateTimeField(required=False)
    resolved_at = PastDateTimeField(required=False)

    def __init__(self, data=None, *, incident: Incident | None = None, **kwargs):
        self.incident = incident
        if incident is not None:
            kwargs.setdefault(
                "initial", {name: getattr(incident, name) for name in TIME_FIELDS}
            )
        super().__init__(data, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in TIME_FIELDS):
            return cleaned

        merged = {name: self._effective(name) for name in TIME_FIELDS}
        for field, message in validate_times(merged).items():
            self.add_error(field, message)
        return cleaned

    def _effective(self, name: str):
        value = self.cleaned_data.get(name)
        stored = getattr(self.incident, name) if self.incident else None
        if stored is not None and _same_minute(stored, value):
            return stored
        return value

    def changes(self) -> dict:
        merged = {name: self._effective(name) for name in TIME_FIELDS}
        if self.incident is None:
            return merged
        return {
            name: value
            for name, value in merged.items()
            if value != getattr(self.incident, name)
        }


def _same_minute(stored, value) -> bool:
    return value is not None and stored.replace(second=0, microsecond=0) == value


class PostmortemForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 30}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, required=False)


class ServiceForm(forms.ModelForm):
    repository_url = forms.URLField(
        max_length=500, required=False, assume_scheme="https"
    )
    runbook_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Service
        fields = [
            "slug",
            "name",
            "team",
            "tier",
            "repository_url",
            "runbook_url",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
