import django_filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from ..errors import DomainError
from ..models import Commit, Deployment
from ..services import deployments as deployment_services
from .fields import InstantFilter
from .filtersets import StrictBooleanFilter
from .serializers import DeploymentSerializer, DeploymentUpdateSerializer

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID, the pipeline run id). A repeat with the "
    "same key and body returns the stored deployment with 200; the same key with "
    "another body is refused with 422.",
)
_MAX_KEY_LENGTH = 200


class PreviousDeploymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deployment
        fields = ["id", "version", "commit_sha", "finished_at"]


class DeploymentFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__slug")
    finished_after = InstantFilter(field_name="finished_at", lookup_expr="gte")
    finished_before = InstantFilter(field_name="finished_at", lookup_expr="lt")
    is_hotfix = StrictBooleanFilter()

    class Meta:
        model = Deployment
        fields = [
            "environment",
            "status",
            "source",
            "external_id",
            "rollback_of",
        ]


class DeploymentViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Deployments with the commits they ship. Pipelines POST one when it starts or
    ends and PATCH its status when it ends."""

    serializer_class = DeploymentSerializer
    integration_methods = ("POST", "PATCH")
    filterset_class = DeploymentFilter
    ordering_fields = ["finished_at", "started_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Deployment.objects.select_related("service")
            .prefetch_related(
                Prefetch("commits", queryset=Commit.objects.order_by("id"))
            )
            .order_by("-id")
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={201: DeploymentSerializer, 200: DeploymentSerializer},
    )
    def create(self, request, *args, **kwargs):
        idempotency = _idempotency(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        deployment, created = deployment_services.record_deployment(
            service_slug=data["service"]["slug"],
            environment=data["environment"],
            status=data["status"],
            version=data.get("version", ""),
            commit_sha=data.get("commit_sha", ""),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            external_id=data.get("external_id"),
            rollback_of=data.get("rollback_of"),
            is_hotfix=data.get("is_hotfix", False),
            commits=[
                deployment_services.CommitData(**commit)
                for commit in data.get("commits", [])
            ],
            deployed_by=data.get("deployed_by", ""),
            changelog=data.get("changelog", ""),
            url=data.get("url", ""),
            idempotency=idempotency,
        )
        body = self.get_serializer(self.get_queryset().get(pk=deployment.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if created else 200)

    @extend_schema(
        parameters=[
            OpenApiParameter("service", OpenApiTypes.STR, required=True),
            OpenApiParameter("environment", OpenApiTypes.STR, required=True),
            OpenApiParameter(
                "external_id",
                OpenApiTypes.STR,
                description="The asking run's own external id: its deployment, "
                "if already recorded, is not the previous one.",
            ),
        ],
        responses={200: PreviousDeploymentSerializer},
        summary="The latest successful deployment of a service to an environment",
        description="What a pipeline needs to list the commits since the previous "
        "deployment (404 when there is none). Integration tokens may ask.",
    )
    @action(
        detail=False,
        methods=["get"],
        integration_methods=("GET", "HEAD"),
        filter_backends=[],
        pagination_class=None,
    )
    def previous(self, request):
        service = request.query_params.get("service", "").strip()
        environment = request.query_params.get("environment", "").strip()
        missing = {
            name: ["This parameter is required."]
            for name, value in (("service", service), ("environment", environment))
            if not value
        }
        if missing:
            raise ValidationError(missing)

        successes = Deployment.objects.filter(
            service__slug=service,
            environment=environment,
            status=Deployment.Status.SUCCESS,
        )
        # A pipeline re-run asks again after its first attempt was recorded; that
        # record is not "previous", or the retry would list no commits and be
        # refused as other content under the same external id.
        own_run = request.query_params.get("external_id", "").strip()
        if own_run:
            successes = successes.exclude(external_id=own_run)
        deployment = successes.order_by("-finished_at", "-id").first()
        if deployment is None:
            raise NotFound(f"No successful deployment of {service} to {environment}.")
        return Response(PreviousDeploymentSerializer(deployment).data)

    @extend_schema(
        request=DeploymentUpdateSerializer, responses={200: DeploymentSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        deployment = self.get_object()
        serializer = DeploymentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        deployment_services.update_deployment_status(
            deployment=deployment,
            status=data.get("status", deployment.status),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
        )
        body = self.get_serializer(self.get_queryset().get(pk=deployment.pk)).data
        return Response(body)


def _idempotency(request) -> deployment_services.Idempotency | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    if len(key) > _MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError(
            f"Idempotency-Key must be at most {_MAX_KEY_LENGTH} printable characters.",
            field="Idempotency-Key",
        )
    return deployment_services.Idempotency(
        client=request.user,
        key=key,
        request_hash=deployment_services.request_hash(request.data),
    )
