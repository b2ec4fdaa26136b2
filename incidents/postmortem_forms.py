from django import forms

from accounts.roles import active_people

from .models import ActionItem
from .models.postmortems import BODY_MAX_LENGTH


class PostmortemForm(forms.Form):
    # The same bound as the API's, so a form that is too long comes back with its
    # text and an error on the field.
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "true"}),
        required=False,
        strip=False,
        max_length=BODY_MAX_LENGTH,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        max_length=500, required=False, label="Reason for the amendment"
    )


class PreviewForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea, required=False, strip=False, max_length=BODY_MAX_LENGTH
    )


# A body at its longest, four bytes a character, and room for the front matter.
MAX_IMPORT_BYTES = 4 * BODY_MAX_LENGTH + 1_000_000


class ImportForm(forms.Form):
    file = forms.FileField(required=False, help_text="A Markdown file exported here.")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16}),
        required=False,
        strip=False,
        label="Or paste its text",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and upload.size > MAX_IMPORT_BYTES:
            # Uploads are not bounded like form fields; read whole, a huge one
            # would take the worker's memory.
            self.add_error("file", "The file is too large for a postmortem export.")
        elif upload:
            try:
                cleaned["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "The file must be UTF-8 text.")
        elif not cleaned.get("text"):
            self.add_error("text", "Choose a file or paste its text.")
        return cleaned


class ActionItemForm(forms.ModelForm):
    owner = forms.ModelChoiceField(
        queryset=active_people().order_by("username"),
        required=False,
        to_field_name="username",
    )
    tracker_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = ActionItem
        fields = [
            "title",
            "kind",
            "owner",
            "due_date",
            "priority",
            "status",
            "tracker_url",
        ]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}


class ActionItemFilterForm(forms.Form):
    owner = forms.CharField(required=False)
    service = forms.SlugField(required=False)
    team = forms.SlugField(required=False)
