from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .catalogue import Service


class DeploymentQuerySet(models.QuerySet):
    def production(self) -> "DeploymentQuerySet":
        return self.filter(environment__in=settings.PRODUCTION_ENVIRONMENTS)

    def completed(self) -> "DeploymentQuerySet":
        return self.filter(status__in=Deployment.COMPLETED_STATUSES)

    def finished(self) -> "DeploymentQuerySet":
        return self.filter(status__in=Deployment.FINISHED_STATUSES)


class Deployment(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        ROLLED_BACK = "rolled_back", "Rolled back"

    class Source(models.TextChoices):
        API = "api", "API"
        GITHUB = "github", "GitHub"
        GITLAB = "gitlab", "GitLab"
        MANUAL = "manual", "Manual"
        IMPORT = "import", "Import"

    # "Completed" means it reached production; "finished" adds plain failures.
    COMPLETED_STATUSES = (Status.SUCCESS, Status.ROLLED_BACK)
    FINISHED_STATUSES = (Status.SUCCESS, Status.ROLLED_BACK, Status.FAILURE)

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="deployments"
    )
    environment = models.CharField(max_length=64)
    version = models.CharField(max_length=200, blank=True)
    commit_sha = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.IN_PROGRESS
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rollback_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rollbacks",
    )
    is_hotfix = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.API)
    # Null rather than blank so that the uniqueness below ignores records without one.
    external_id = models.CharField(max_length=200, null=True, blank=True)
    # SHA-256 of what the API was first sent for this external id, so that a later
    # POST with the same id but other content is refused instead of dropped.
    request_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    deployed_by = models.CharField(max_length=200, blank=True)
    changelog = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["-finished_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(finished_at__gte=F("started_at")),
                name="deployment_finishes_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="in_progress") | Q(finished_at__isnull=True),
                name="deployment_in_progress_has_no_finish",
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress") | Q(finished_at__isnull=False),
                name="deployment_finished_has_finish_time",
            ),
            models.UniqueConstraint(
                fields=["service", "environment", "external_id"],
                condition=Q(external_id__isnull=False),
                name="deployment_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(
                fields=["environment", "finished_at"], name="deploy_env_finished"
            ),
            models.Index(
                fields=["service", "environment", "finished_at"],
                name="deploy_svc_env_finished",
            ),
        ]

    def __str__(self) -> str:
        label = self.version or self.commit_sha[:12]
        return f"{self.service.slug} {label} to {self.environment}"

    @property
    def is_production(self) -> bool:
        return self.environment in settings.PRODUCTION_ENVIRONMENTS

    @property
    def is_completed(self) -> bool:
        return self.status in self.COMPLETED_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES


class Commit(models.Model):
    """A change that a deployment ships. The same SHA appears once per deployment that
    carries it (staging, then production, then a redeploy), which is what lead time
    needs: the first completed production deployment of the service that ships it."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="commits"
    )
    # Denormalised from the deployment: lead time groups commits by (service, sha).
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="commits"
    )
    sha = models.CharField(max_length=64)
    committed_at = models.DateTimeField()
    authored_at = models.DateTimeField(null=True, blank=True)
    author = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["committed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "sha"], name="commit_unique_per_deployment"
            ),
        ]
        indexes = [
            models.Index(fields=["service", "sha"], name="commit_service_sha"),
        ]

    def __str__(self) -> str:
        return self.sha[:12]
