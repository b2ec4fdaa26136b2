from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidents.models import Service


class SLO(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="slos")
    name = models.CharField(max_length=200)
    target_percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="For example 99.9",
    )
    window_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    freeze_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of the budget consumed at which deployments freeze.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SLO"
        ordering = ["service", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="slo_unique_name"),
            models.CheckConstraint(
                condition=Q(target_percent__gte=0) & Q(target_percent__lte=100),
                name="slo_target_range",
            ),
            models.CheckConstraint(
                condition=Q(freeze_threshold__gte=0) & Q(freeze_threshold__lte=1),
                name="slo_freeze_threshold_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.slug}: {self.name} ({self.target_percent}%)"


class SLIEvent(models.Model):
    """Good and total events measured by a team for an SLO over ``[start, end)``.
    Where they exist they replace incident minutes for the time they cover."""

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="events")
    start = models.DateTimeField()
    end = models.DateTimeField()
    good = models.PositiveBigIntegerField()
    total = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slo", "start"]
        verbose_name = "SLI event count"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="sli_event_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(good__lte=models.F("total")), name="sli_event_good_le_total"
            ),
        ]
        indexes = [models.Index(fields=["slo", "end"], name="sli_event_slo_end")]

    def __str__(self) -> str:
        return f"{self.slo_id}: {self.good}/{self.total} from {self.start:%Y-%m-%d}"


class FreezeOverride(models.Model):
    """An admin's decision to let deployments through a freeze until ``expires_at``."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="freeze_overrides"
    )
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="freeze_overrides",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="freeze_override_expires_after_creation",
            ),
        ]
        indexes = [
            models.Index(fields=["service", "expires_at"], name="freeze_override_svc")
        ]

    def __str__(self) -> str:
        return f"{self.service_id} override until {self.expires_at:%Y-%m-%d %H:%M}"

    def is_active(self, now=None) -> bool:
        return self.expires_at > (now or timezone.now())


class SLOBudgetState(models.Model):
    """The last budget state the beat task saw for an SLO, so that it notifies on
    transitions only. ``episode`` counts the times the SLO left ``ok``; it keys the
    notifications of one episode so that each is sent once."""

    class State(models.TextChoices):
        OK = "ok", "Within budget"
        FROZEN = "frozen", "Frozen"
        EXHAUSTED = "exhausted", "Budget exhausted"

    slo = models.OneToOneField(SLO, on_delete=models.CASCADE, related_name="state")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OK)
    episode = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)
    evaluated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.slo_id}: {self.state} (episode {self.episode})"
