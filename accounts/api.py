from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.errors import DomainError

from .models import ApiToken, Role
from .services import TokenError, create_api_token, revoke_api_token


class ApiTokenSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(
        choices=Role.choices, default=Role.INTEGRATION, write_only=True
    )
    name = serializers.CharField(max_length=100)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "role",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = [
            "id",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The token itself. Shown only in this answer."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class ApiTokenViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """API tokens, for admins: one per integration. The token value is in the
    creation answer only; Hindsight keeps just its SHA-256."""

    serializer_class = ApiTokenSerializer
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    filterset_fields = ["name"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return ApiToken.objects.select_related("created_by").order_by("name")

    @extend_schema(request=ApiTokenSerializer, responses={201: NewApiTokenSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        try:
            token, raw = create_api_token(
                name=data["name"], role=Role(data["role"]), created_by=request.user
            )
        except TokenError as error:
            raise DomainError(str(error), field="name") from None
        token.token = raw
        return Response(
            NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: ApiTokenSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = self.get_object()
        revoke_api_token(token=token, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=token.pk)).data)
