from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from .catalogue import Service
from .deployments import Deployment

KEY_PREFIX = "INC-"

# 0 for an open incident, 1 for a resolved one: the list sorts on it.
OPEN_LAST = models.Case(
    models.When(status="resolved", then=models.Value(1)),
    default=models.Value(0),
    output_field=models.IntegerField(),
)


class IncidentQuerySet(models.QuerySet):
    def open(self) -> "IncidentQuerySet":
        return self.exclude(status=Incident.Status.RESOLVED)

    def visible_to(self, user) -> "IncidentQuerySet":
        """What ``user`` may see: everything but restricted incidents, which only
        admins and the incident's own responders see."""
        from accounts.roles import can_administer

        if can_administer(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(is_restricted=False)
            | Q(commander=user)
            | Q(communications_lead=user)
            | Q(created_by=user)
            | Q(
                pk__in=Incident.responders.through.objects.filter(
                    user_id=user.pk
                ).values("incident_id")
            )
        )


class Incident(models.Model):
    class Severity(models.TextChoices):
        SEV1 = "SEV1", "SEV1 (critical)"
        SEV2 = "SEV2", "SEV2 (major)"
        SEV3 = "SEV3", "SEV3 (minor)"
        SEV4 = "SEV4", "SEV4 (low)"

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        ALERTMANAGER = "alertmanager", "Alertmanager"
        API = "api", "API"

    class CauseSource(models.TextChoices):
        PERSON = "person", "Set by a person"
        API = "api", "Set through the API"

    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.INVESTIGATING
    )
    started_at = models.DateTimeField(help_text="When the impact started.")
    detected_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    services = models.ManyToManyField(Service, related_name="incidents")
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commanded_incidents",
    )
    communications_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communicated_incidents",
    )
    impact_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of users affected, for error budgets.",
    )
    # Only an explicit link is stored; an inferred cause is derived at read time
    # (metrics.selectors), so that a late-arriving deployment cannot leave it stale.
    caused_by = models.ForeignKey(
        Deployment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caused_incidents",
    )
    cause_source = models.CharField(
        max_length=8, choices=CauseSource.choices, blank=True
    )
    source = models.CharField(
        max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    alert_group_key = models.CharField(max_length=500, blank=True, db_index=True)
    # A restricted incident (a security incident, say) is seen only by admins and its
    # responders: the commander, the communications lead, whoever declared it and
    # the people listed here.
    is_restricted = models.BooleanField(default=False)
    responders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="responded_incidents"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="declared_incidents",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(detected_at__isnull=True)
                | Q(detected_at__gte=F("started_at")),
                name="incident_detected_after_start",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True)
                | Q(acknowledged_at__gte=F("started_at")),
                name="incident_acknowledged_after_start",
            ),
            models.CheckConstraint(
                condition=Q(mitigated_at__isnull=True)
                | Q(mitigated_at__gte=F("started_at")),
                name="incident_mitigated_after_start",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(resolved_at__gte=F("started_at")),
                name="incident_resolved_after_start",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(mitigated_at__isnull=True)
                | Q(resolved_at__gte=F("mitigated_at")),
                name="incident_resolved_after_mitigated",
            ),
            models.CheckConstraint(
                condition=Q(impact_percent__gte=0) & Q(impact_percent__lte=100),
                name="incident_impact_percent_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "severity"], name="incident_status_sev"),
            models.Index(fields=["resolved_at"], name="incident_resolved"),
            models.Index(fields=["started_at"], name="incident_started"),
            # Every page's header counts open incidents by severity; with most of
            # the history resolved, this keeps that count off a full scan.
            models.Index(
                fields=["severity"],
                condition=~Q(status="resolved"),
                name="incident_open_severity",
            ),
            # The list's default order (open first, then newest), as
            # selectors.incident_list() spells it, so a page reads 50 index entries
            # instead of sorting the whole history.
            models.Index(
                OPEN_LAST,
                F("started_at").desc(),
                F("id").desc(),
                name="incident_open_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.key])

    def is_visible_to(self, user) -> bool:
        if not self.is_restricted:
            return True
        return Incident.objects.filter(pk=self.pk).visible_to(user).exists()

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @staticmethod
    def pk_from_key(key: str) -> int | None:
        """Accept INC-42, inc-42 or a bare 42; anything else is not a key."""
        text = key.strip().upper().removeprefix(KEY_PREFIX)
        # isdigit() alone takes "²", which int() refuses, and "١٢", which int()
        # reads as 12: only ASCII digits name an incident.
        return int(text) if text.isascii() and text.isdigit() else None


# Notes are read in a timeline during an outage; a novel belongs in the postmortem.
NOTE_MAX_LENGTH = 20_000


class TimeCorrection(NamedTuple):
    label: str
    old: datetime | None
    new: datetime | None


def _stored_time(text) -> datetime | None:
    if text in (None, "", "(none)"):
        return None
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{text!r} names no zone")
    return value


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        STATUS_CHANGE = "status_change", "Status change"
        NOTE = "note", "Note"
        ALERT = "alert", "Alert"
        FIELD_CHANGE = "field_change", "Field change"
        DEPLOYMENT = "deployment", "Deployment"
        TIME_CORRECTION = "time_correction", "Time correction"

    class Tag(models.TextChoices):
        DETECTION = "detection", "Detection"
        DIAGNOSIS = "diagnosis", "Diagnosis"
        REPAIR = "repair", "Repair"
        KEY_MOMENT = "key_moment", "Key moment"

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="timeline"
    )
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    tag = models.CharField(max_length=16, choices=Tag.choices, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="timeline_entries",
    )
    body = models.TextField(blank=True)
    # Sanitized HTML, rendered once on write so that list pages never run Markdown.
    body_html = models.TextField(blank=True)
    # Structured detail: old and new values, alert fingerprints, deployment ids.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [
            models.Index(fields=["incident", "occurred_at"], name="timeline_inc_time"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.key} {self.kind} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def correction(self) -> TimeCorrection | None:
        """A time correction's field and its old and new times, read from ``data``
        so that pages can show them in the reader's zone: the body holds them as
        ISO text in whatever zone the corrector used. None for any other entry, or
        one whose data cannot be read (then the body is all there is)."""
        if self.kind != self.Kind.TIME_CORRECTION:
            return None
        try:
            field = self.data["field"]
            old, new = _stored_time(self.data["from"]), _stored_time(self.data["to"])
        except (KeyError, TypeError, ValueError):
            return None
        return TimeCorrection(str(field).replace("_", " ").capitalize(), old, new)
