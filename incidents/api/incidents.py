import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from ..audit import record_restricted_read
from ..models import Deployment, Incident, Service, TimelineEntry
from ..models.incidents import NOTE_MAX_LENGTH
from ..services import incident_api
from ..services import incidents as incident_services
from .fields import InstantField, InstantFilter
from .filtersets import StrictBooleanFilter
from .restricted import AuditsRestrictedReads

_TIME_FIELDS = ["started_at", "detected_at", "acknowledged_at", "mitigated_at"]


class IncidentSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    services = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Service.objects.all()
    )
    caused_by = serializers.PrimaryKeyRelatedField(
        queryset=Deployment.objects.all(), required=False, allow_null=True
    )
    started_at = InstantField()
    detected_at = InstantField(required=False, allow_null=True)
    acknowledged_at = InstantField(required=False, allow_null=True)
    mitigated_at = InstantField(required=False, allow_null=True)
    resolved_at = InstantField(required=False, allow_null=True)
    impact_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    commander = serializers.CharField(
        source="commander.username", read_only=True, allow_null=True
    )
    cause_source = serializers.ChoiceField(
        choices=Incident.CauseSource.choices, read_only=True, allow_blank=True
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "key",
            "title",
            "summary",
            "severity",
            "status",
            "started_at",
            "detected_at",
            "acknowledged_at",
            "mitigated_at",
            "resolved_at",
            "services",
            "impact_percent",
            "caused_by",
            "cause_source",
            "source",
            "alert_group_key",
            "commander",
            "url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "cause_source",
            "source",
            "alert_group_key",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "title": {"allow_blank": False},
            "summary": {"required": False},
            "status": {"required": False},
        }

    def get_url(self, incident) -> str:
        request = self.context.get("request")
        path = incident.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def validate_title(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("A title needs some text.")
        return value

    def validate(self, attrs):
        if self.instance is None and not attrs.get("services"):
            raise serializers.ValidationError(
                {"services": ["Name at least one affected service."]}
            )
        errors = incident_services.validate_times(
            {
                field: attrs.get(field, getattr(self.instance, field, None))
                for field in incident_services.TIME_FIELDS
            }
        )
        if errors:
            raise serializers.ValidationError({f: [m] for f, m in errors.items()})
        return attrs


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.username", read_only=True, allow_null=True
    )
    occurred_at = InstantField(required=False)

    class Meta:
        model = TimelineEntry
        fields = [
            "id",
            "occurred_at",
            "kind",
            "tag",
            "author",
            "body",
            "body_html",
            "data",
            "created_at",
        ]
        read_only_fields = ["id", "kind", "author", "body_html", "data", "created_at"]
        extra_kwargs = {
            "body": {
                "required": True,
                "allow_blank": False,
                "max_length": NOTE_MAX_LENGTH,
            }
        }


class IncidentFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="services__slug")
    started_after = InstantFilter(field_name="started_at", lookup_expr="gte")
    started_before = InstantFilter(field_name="started_at", lookup_expr="lt")
    is_open = StrictBooleanFilter(method="filter_open")

    class Meta:
        model = Incident
        fields = ["status", "severity", "source", "caused_by"]

    def filter_open(self, queryset, name, value):
        if value:
            return queryset.exclude(status=Incident.Status.RESOLVED)
        return queryset.filter(status=Incident.Status.RESOLVED)


class IncidentViewSet(
    AuditsRestrictedReads,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents, with their timeline at ``/api/incidents/<id>/timeline/``."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    ordering_fields = ["started_at", "resolved_at", "id", "severity"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Incident.objects.visible_to(self.request.user)
            .select_related("commander")
            .prefetch_related("services")
            .order_by("-started_at", "-id")
            .distinct()
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        incident = incident_api.open_incident(
            actor=request.user, **serializer.validated_data
        )
        return Response(self._body(incident), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        serializer = self.get_serializer(incident, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)

        incident = incident_api.edit_incident(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        return Response(self._body(incident))

    def _body(self, incident: Incident) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=incident.pk)).data

    @extend_schema(
        methods=["GET"],
        responses=TimelineEntrySerializer(many=True),
        summary="The incident's timeline, oldest first",
    )
    @extend_schema(
        methods=["POST"],
        request=TimelineEntrySerializer,
        responses={201: TimelineEntrySerializer},
        summary="Add a note to the timeline",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=TimelineEntrySerializer,
        filter_backends=[],
    )
    def timeline(self, request, pk=None):
        # Not get_object(): the list's filters and ordering are for incidents.
        incident = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(request, incident)
        record_restricted_read(request, incident)
        if request.method == "POST":
            serializer = TimelineEntrySerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            entry = incident_services.add_note(
                incident=incident,
                body=serializer.validated_data["body"],
                tag=serializer.validated_data.get("tag", ""),
                at=serializer.validated_data.get("occurred_at"),
                actor=request.user,
            )
            return Response(
                TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED
            )

        entries = incident.timeline.select_related("author").order_by(
            "occurred_at", "id"
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(
            TimelineEntrySerializer(page, many=True).data
        )
