from django.conf import settings
from django.db import models
from django.urls import reverse

from ..validators import validate_due_date, validate_web_url
from .incidents import Incident

# The longest body the pages, the API and the import take.
BODY_MAX_LENGTH = 500_000


class Postmortem(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="postmortem"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Optimistic concurrency: every save names the version it was based on.
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authored_postmortems",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approved_postmortems",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_postmortems",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Postmortem for {self.incident.key}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:postmortem", args=[self.incident.key])


class PostmortemRevision(models.Model):
    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="revisions"
    )
    version = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["postmortem", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "version"], name="revision_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.postmortem} v{self.version}"


class ActionItem(models.Model):
    class Kind(models.TextChoices):
        PREVENT = "prevent", "Prevent"
        DETECT = "detect", "Detect"
        MITIGATE = "mitigate", "Mitigate"
        PROCESS = "process", "Process"

    class Priority(models.TextChoices):
        P1 = "P1", "P1 (urgent)"
        P2 = "P2", "P2 (high)"
        P3 = "P3", "P3 (normal)"
        P4 = "P4", "P4 (low)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PREVENT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_date = models.DateField(null=True, blank=True, validators=[validate_due_date])
    priority = models.CharField(
        max_length=2, choices=Priority.choices, default=Priority.P3
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN
    )
    tracker_url = models.URLField(
        max_length=500, blank=True, validators=[validate_web_url]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="action_status_due"),
        ]

    def __str__(self) -> str:
        return self.title


class PostmortemTemplate(models.Model):
    """The admin-editable starting text. The most recently saved row wins; without
    one, the file templates/incidents/postmortem_template.md is used. Placeholders
    are ``${name}`` (see incidents.services.postmortems.TEMPLATE_PLACEHOLDERS)."""

    body = models.TextField()
    required_sections = models.TextField(
        blank=True,
        help_text="Headings that must be filled before review, one per line.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"Postmortem template of {self.updated_at:%Y-%m-%d %H:%M}"

    @property
    def required_section_list(self) -> list[str]:
        return [
            line.strip() for line in self.required_sections.splitlines() if line.strip()
        ]


class BlamelessPhrase(models.Model):
    """An admin's addition to the blameless-language list, or, inactive, the
    withdrawal of a built-in phrase of the same text."""

    phrase = models.CharField(max_length=200, unique=True)
    suggestion = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["phrase"]

    def __str__(self) -> str:
        return self.phrase


class ActionItemDigest(models.Model):
    """One row per owner per day: the digest task sends at most one e-mail a day
    to each owner, however often it runs."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    item_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "owner"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="digest_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"Digest for {self.owner_id} on {self.day}"
