from rest_framework import mixins, serializers, viewsets

from accounts.models import Role

from ..models import OutgoingWebhook, Service, Team, WebhookDelivery
from ..signals import announce_change


class ServiceSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Service
        fields = [
            "slug",
            "name",
            "team",
            "repository_url",
            "tier",
            "runbook_url",
            "description",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class ServiceViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The service catalogue, by slug. A deployment to an unknown slug also creates
    its service; people then fill in the owner, tier and runbook here."""

    serializer_class = ServiceSerializer
    lookup_field = "slug"
    filterset_fields = ["tier", "team__slug"]
    ordering_fields = ["slug", "name", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_role = Role.ADMIN

    def get_queryset(self):
        return Service.objects.select_related("team").order_by("slug")

    # A catalogue entry is one row with no rule beyond its fields; the save only
    # has to tell the exports that the catalogue changed.
    def perform_create(self, serializer):
        service = serializer.save()
        announce_change(kind="service", ids=[service.pk])

    def perform_update(self, serializer):
        service = serializer.save()
        announce_change(kind="service", ids=[service.pk])


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook = serializers.SlugRelatedField(
        slug_field="name", queryset=OutgoingWebhook.objects.all()
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook",
            "event",
            "status",
            "attempts",
            "response_code",
            "error",
            "payload",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Outgoing notifications and how each delivery went (admins only). Receiver
    URLs are never shown: they often embed a secret."""

    serializer_class = WebhookDeliverySerializer
    filterset_fields = ["status", "event", "webhook__name"]
    ordering_fields = ["created_at", "id"]
    read_role = Role.ADMIN

    def get_queryset(self):
        return WebhookDelivery.objects.select_related("webhook").order_by(
            "-created_at", "-id"
        )
