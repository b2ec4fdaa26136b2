from django.db.models import Prefetch
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from ..models import Commit, Deployment
from ..services import deployments as deployment_services
from .serializers import DeploymentSerializer, DeploymentUpdateSerializer


class DeploymentViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DeploymentSerializer
    integration_methods = ("POST", "PATCH")
    filterset_fields = ["environment", "status", "service__slug", "is_hotfix"]
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

    def create(self, request, *args, **kwargs):
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
        )
        body = self.get_serializer(self.get_queryset().get(pk=deployment.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if created else 200)

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
