from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

# /services/new/ is the page that adds a service, so no service may be called that.
RESERVED_SERVICE_SLUGS = frozenset({"new"})


def validate_service_slug(value: str) -> None:
    if value in RESERVED_SERVICE_SLUGS:
        raise ValidationError(
            "%(value)r is a reserved name; pick another.", params={"value": value}
        )


class Team(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    class Tier(models.TextChoices):
        TIER_1 = "tier1", "Tier 1 (critical)"
        TIER_2 = "tier2", "Tier 2"
        TIER_3 = "tier3", "Tier 3"
        TIER_4 = "tier4", "Tier 4 (best effort)"

    slug = models.SlugField(
        max_length=100, unique=True, validators=[validate_service_slug]
    )
    name = models.CharField(max_length=200)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    repository_url = models.URLField(max_length=500, blank=True)
    tier = models.CharField(max_length=8, choices=Tier.choices, default=Tier.TIER_3)
    runbook_url = models.URLField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("incidents:service-detail", args=[self.slug])
