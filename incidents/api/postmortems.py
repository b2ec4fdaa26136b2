import re

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.roles import active_people

from ..errors import (
    ConflictError,
    DomainError,
    PreconditionFailed,
    PreconditionRequired,
)
from ..models import ActionItem, Incident, Postmortem
from ..models.postmortems import BODY_MAX_LENGTH
from ..services import action_items as action_item_services
from ..services import postmortems as postmortem_services
from .filtersets import IdFilter
from .restricted import AuditsRestrictedReads

_ETAG = re.compile(r'^(?:W/)?"(\d+)"$')

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag from the last GET, e.g. "3". Missing: 428; stale: 412.',
)


def etag_for(postmortem: Postmortem) -> str:
    return f'"{postmortem.version}"'


class VisibleIncidentField(serializers.PrimaryKeyRelatedField):
    """An incident the requesting person may see; others do not exist for them."""

    def get_queryset(self):
        return Incident.objects.visible_to(self.context["request"].user)


class VisiblePostmortemField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        user = self.context["request"].user
        return Postmortem.objects.filter(incident__in=Incident.objects.visible_to(user))


class PostmortemSerializer(serializers.ModelSerializer):
    incident = VisibleIncidentField()
    incident_key = serializers.CharField(source="incident.key", read_only=True)
    author = serializers.CharField(
        source="author.username", read_only=True, allow_null=True
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=BODY_MAX_LENGTH,
        help_text="Markdown. Omitted on creation: the standard template.",
    )
    action_items = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Postmortem
        fields = [
            "id",
            "incident",
            "incident_key",
            "status",
            "body",
            "body_html",
            "version",
            "author",
            "action_items",
            "created_at",
            "updated_at",
            "published_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "body_html",
            "version",
            "created_at",
            "updated_at",
            "published_at",
        ]


class PostmortemEditSerializer(serializers.Serializer):
    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=BODY_MAX_LENGTH
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Why a published postmortem is amended (required then).",
    )


class PostmortemViewSet(
    AuditsRestrictedReads,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Postmortems. Reads send an ``ETag``; writes must send it back in
    ``If-Match``, so two people editing at once cannot overwrite each other."""

    serializer_class = PostmortemSerializer
    filterset_fields = ["status", "incident"]
    ordering_fields = ["created_at", "updated_at", "id"]

    def incident_of(self, obj: Postmortem) -> Incident:
        return obj.incident

    def get_queryset(self):
        visible = Incident.objects.visible_to(self.request.user)
        return (
            Postmortem.objects.filter(incident__in=visible)
            .select_related("incident", "author")
            .prefetch_related("action_items")
            .order_by("-created_at", "-id")
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        postmortem = postmortem_services.start_postmortem(
            incident=data["incident"], actor=request.user, body=data.get("body")
        )
        return self._answer(postmortem, status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        return self._answer(self.get_object())

    @extend_schema(
        parameters=[IF_MATCH],
        request=PostmortemEditSerializer,
        responses={200: PostmortemSerializer},
    )
    def update(self, request, *args, **kwargs):
        postmortem = self.get_object()
        base_version = _base_version(request, postmortem)
        serializer = PostmortemEditSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        try:
            postmortem = postmortem_services.save_postmortem(
                postmortem=postmortem,
                body=data.get("body", postmortem.body),
                base_version=base_version,
                actor=request.user,
                reason=data.get("reason", ""),
            )
        except ConflictError as error:
            raise PreconditionFailed(error.message, field="If-Match") from None
        return self._answer(postmortem)

    @extend_schema(
        parameters=[IF_MATCH],
        request=PostmortemEditSerializer,
        responses={200: PostmortemSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def _answer(self, postmortem: Postmortem, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=postmortem.pk)
        response = Response(self.get_serializer(fresh).data, status=code)
        response["ETag"] = etag_for(fresh)
        return response


def _base_version(request, postmortem: Postmortem) -> int:
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired(
            "Send the ETag from your last GET in an If-Match header.",
            field="If-Match",
        )
    if header == "*":
        return postmortem.version

    versions = []
    for tag in header.split(","):
        match = _ETAG.match(tag.strip())
        if match is None:
            raise PreconditionFailed(
                f"If-Match {header[:40]!r} is not an ETag of this API, e.g. "
                f"{etag_for(postmortem)}.",
                field="If-Match",
            )
        versions.append(int(match.group(1)))
    if postmortem.version not in versions:
        raise PreconditionFailed(
            f"The postmortem is at version {postmortem.version}; you edited "
            f"{', '.join(map(str, versions))}. Reload and apply your change again.",
            field="If-Match",
        )
    return postmortem.version


class ActionItemSerializer(serializers.ModelSerializer):
    postmortem = VisiblePostmortemField()
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=active_people(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "postmortem",
            "title",
            "kind",
            "owner",
            "due_date",
            "priority",
            "status",
            "tracker_url",
            "created_at",
            "completed_at",
        ]
        read_only_fields = ["id", "created_at", "completed_at"]


class ActionItemFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(field_name="owner__username")
    incident = IdFilter(field_name="postmortem__incident")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lt")

    class Meta:
        model = ActionItem
        fields = ["status", "kind", "priority", "postmortem"]


class ActionItemViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "priority", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        visible = Incident.objects.visible_to(self.request.user)
        return (
            ActionItem.objects.filter(postmortem__incident__in=visible)
            .select_related("owner")
            .order_by("due_date", "id")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = action_item_services.add_action_item(
            postmortem=data.pop("postmortem"),
            title=data.pop("title"),
            actor=self.request.user,
            **data,
        )

    @extend_schema(responses={200: ActionItemSerializer})
    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if changes.get("postmortem", item.postmortem) != item.postmortem:
            raise DomainError(
                "An action item cannot move to another postmortem.",
                field="postmortem",
            )
        changes.pop("postmortem", None)

        item = action_item_services.update_action_item(
            item=item, actor=request.user, **changes
        )
        return Response(self.get_serializer(item).data)
