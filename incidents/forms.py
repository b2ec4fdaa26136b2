from django import forms
from django.utils import timezone

from .models import Incident, Service, TimelineEntry
from .services.incidents import validate_times


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DeclareIncidentForm(forms.Form):
    title = forms.CharField(max_length=300)
    severity = forms.ChoiceField(choices=Incident.Severity.choices)
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("slug"),
        widget=forms.CheckboxSelectMultiple,
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    started_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        label="Impact started",
        help_text="In your time zone. Leave empty for now.",
    )

    def clean_started_at(self):
        value = self.cleaned_data.get("started_at")
        if value and value > timezone.now():
            raise forms.ValidationError("Impact cannot start in the future.")
        return value


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Note")
    tag = forms.ChoiceField(
        choices=[("", "No tag"), *TimelineEntry.Tag.choices], required=False
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Incident.Status.choices)


class CauseForm(forms.Form):
    deployment = forms.IntegerField(required=False, min_value=1)


class TimesForm(forms.Form):
    """Correct an incident's times. Every error lands on its field and nothing is
    saved, as validate_times() is the same rule the services enforce."""

    started_at = forms.DateTimeField(
        widget=DateTimeLocalInput(), label="Impact started"
    )
    detected_at = forms.DateTimeField(widget=DateTimeLocalInput(), required=False)
    acknowledged_at = forms.DateTimeField(widget=DateTimeLocalInput(), required=False)
    mitigated_at = forms.DateTimeField(widget=DateTimeLocalInput(), required=False)
    resolved_at = forms.DateTimeField(widget=DateTimeLocalInput(), required=False)

    def clean(self):
        cleaned = super().clean()
        for field, message in validate_times(cleaned).items():
            self.add_error(field, message)
        return cleaned


class PostmortemForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 30}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, required=False)
