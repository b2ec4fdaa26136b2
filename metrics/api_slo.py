"""SLOs, measured SLI events, freeze overrides and the deploy gate over the API."""

import logging

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from accounts.models import Role
from incidents.api.fields import InstantField
from incidents.models import Service

from .models import SLO, FreezeOverride, SLIEvent
from .slo import gate, slo_status
from .slo import services as slo_services
from .slo.gate import budget_dict

logger = logging.getLogger(__name__)


class SLOSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all()
    )

    class Meta:
        model = SLO
        fields = [
            "id",
            "service",
            "name",
            "target_percent",
            "window_days",
            "freeze_threshold",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        validators = []  # the service checks the name's uniqueness per service


MAX_EVENTS = 10**15


class SLIEventSerializer(serializers.ModelSerializer):
    start = InstantField()
    end = InstantField()
    # A quadrillion events in one interval is beyond any real service, and keeps
    # sums over many intervals far inside a 64-bit integer.
    good = serializers.IntegerField(min_value=0, max_value=MAX_EVENTS)
    total = serializers.IntegerField(min_value=1, max_value=MAX_EVENTS)

    class Meta:
        model = SLIEvent
        fields = ["id", "slo", "start", "end", "good", "total", "created_at"]
        read_only_fields = ["id", "slo", "created_at"]


class FreezeOverrideSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all()
    )
    hours = serializers.FloatField(write_only=True, min_value=0.01)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = FreezeOverride
        fields = [
            "id",
            "service",
            "reason",
            "hours",
            "created_by",
            "created_at",
            "expires_at",
            "active",
        ]
        read_only_fields = ["id", "created_by", "created_at", "expires_at"]

    def get_active(self, override) -> bool:
        return override.is_active()


class SLOViewSet(viewsets.ModelViewSet):
    """Viewers read; responders and admins manage. ``GET /api/slos/<id>/`` adds the
    current ``budget``."""

    serializer_class = SLOSerializer
    filterset_fields = ["service__slug"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        return SLO.objects.select_related("service").order_by("service__slug", "name")

    def retrieve(self, request, *args, **kwargs):
        slo = self.get_object()
        body = self.get_serializer(slo).data
        body["budget"] = budget_dict(slo_status(slo))
        return Response(body)

    def perform_create(self, serializer):
        serializer.instance = slo_services.save_slo(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = slo_services.save_slo(
            slo=serializer.instance,
            actor=self.request.user,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        slo_services.delete_slo(slo=instance, actor=self.request.user)


class SLIEventView(APIView):
    """``POST /api/slos/<id>/events/`` with good, total, start, end. Integrations
    (a team's metrics pipeline) may post."""

    integration_methods = ("POST",)

    @extend_schema(responses=SLIEventSerializer(many=True))
    def get(self, request, pk: int):
        slo = get_object_or_404(SLO, pk=pk)
        events = slo.events.order_by("-start")[:500]
        return Response(SLIEventSerializer(events, many=True).data)

    @extend_schema(request=SLIEventSerializer, responses=SLIEventSerializer)
    def post(self, request, pk: int):
        slo = get_object_or_404(SLO, pk=pk)
        serializer = SLIEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        event = slo_services.record_measurement(slo=slo, **serializer.validated_data)
        return Response(SLIEventSerializer(event).data, status=status.HTTP_201_CREATED)


class FreezeOverrideViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Admins override a freeze for a stated reason and a limited time."""

    serializer_class = FreezeOverrideSerializer
    write_role = Role.ADMIN
    filterset_fields = ["service__slug"]

    def get_queryset(self):
        return FreezeOverride.objects.select_related("service", "created_by")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = slo_services.override_freeze(
            service=data["service"],
            reason=data["reason"],
            hours=data["hours"],
            actor=self.request.user,
        )


class GateQuerySerializer(serializers.Serializer):
    service = serializers.SlugField(max_length=100)
    environment = serializers.RegexField(r"^[A-Za-z0-9_.\-]{1,64}$")


class GateView(APIView):
    """``GET /api/gate/?service=S&environment=E``: may this deployment proceed?"""

    integration_methods = ("GET",)

    @extend_schema(parameters=[GateQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        query = GateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)

        decision = gate(
            query.validated_data["service"],
            query.validated_data["environment"],
            now=timezone.now(),
        )
        if not decision.allowed:
            # Here, not in gate(): the memory-bank export asks too, and no
            # deployment was refused then.
            logger.info(
                "Gate refused a deployment of %s to %s",
                decision.service,
                decision.environment,
            )
        return Response(decision.as_dict())


router = SimpleRouter()
router.register("slos", SLOViewSet, basename="slo")
router.register("gate/overrides", FreezeOverrideViewSet, basename="freeze-override")

urlpatterns = [
    path("slos/<int:pk>/events/", SLIEventView.as_view(), name="slo-events"),
    path("gate/", GateView.as_view(), name="gate"),
    *router.urls,
]
