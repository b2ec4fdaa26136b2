from django import forms

from incidents.models import Service

from ..models import SLO
from .services import override_max_hours


class SLOForm(forms.ModelForm):
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("slug"), to_field_name="slug"
    )

    class Meta:
        model = SLO
        fields = [
            "service",
            "name",
            "target_percent",
            "window_days",
            "freeze_threshold",
        ]
        help_texts = {
            "window_days": "Rolling window in days.",
            "freeze_threshold": "Share of the budget consumed at which deployments "
            "freeze, from 0 to 1 (0.5 is half).",
        }


class OverrideForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    hours = forms.FloatField(
        min_value=0.25, initial=4, widget=forms.NumberInput(attrs={"step": "0.25"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per form: the limit is a setting that tests and operators change.
        limit = override_max_hours()
        hours = self.fields["hours"]
        hours.label = f"For how many hours (at most {limit})"
        hours.widget.attrs["max"] = limit

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours > override_max_hours():
            raise forms.ValidationError(f"At most {override_max_hours()} hours.")
        return hours
