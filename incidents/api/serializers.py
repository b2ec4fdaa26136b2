from rest_framework import serializers

from ..models import Commit, Deployment
from .fields import InstantField


class CommitSerializer(serializers.ModelSerializer):
    sha = serializers.RegexField(r"^[0-9a-fA-F]{4,64}$", max_length=64)
    committed_at = InstantField()
    authored_at = InstantField(required=False, allow_null=True)

    class Meta:
        model = Commit
        fields = ["sha", "committed_at", "authored_at", "author", "message"]
        extra_kwargs = {
            "author": {"required": False, "allow_blank": True},
            "message": {"required": False, "allow_blank": True},
        }


class DeploymentSerializer(serializers.ModelSerializer):
    service = serializers.SlugField(max_length=100, source="service.slug")
    environment = serializers.RegexField(r"^[A-Za-z0-9_.\-]{1,64}$")
    started_at = InstantField(required=False, allow_null=True)
    finished_at = InstantField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=Deployment.Status.choices, default=Deployment.Status.SUCCESS
    )
    rollback_of = serializers.PrimaryKeyRelatedField(
        queryset=Deployment.objects.all(), required=False, allow_null=True
    )
    commits = CommitSerializer(many=True, required=False)

    class Meta:
        model = Deployment
        fields = [
            "id",
            "service",
            "environment",
            "version",
            "commit_sha",
            "status",
            "started_at",
            "finished_at",
            "external_id",
            "rollback_of",
            "is_hotfix",
            "source",
            "deployed_by",
            "changelog",
            "url",
            "commits",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "source", "created_at", "updated_at"]
        extra_kwargs = {
            "external_id": {"required": False, "allow_null": True, "validators": []},
            "commit_sha": {"required": False},
            "version": {"required": False},
        }
        validators = []  # uniqueness is the service's business (idempotent repeats)

    def validate_commits(self, value):
        if len(value) > 5000:
            raise serializers.ValidationError("At most 5,000 commits per deployment.")
        return value

    def validate(self, attrs):
        started, finished = attrs.get("started_at"), attrs.get("finished_at")
        if started and finished and finished < started:
            raise serializers.ValidationError(
                {"finished_at": ["Cannot be before started_at."]}
            )
        if attrs.get("status") == Deployment.Status.IN_PROGRESS and finished:
            raise serializers.ValidationError(
                {"finished_at": ["An in-progress deployment has no finish time."]}
            )
        return attrs


class DeploymentUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Deployment.Status.choices, required=False)
    started_at = InstantField(required=False, allow_null=True)
    finished_at = InstantField(required=False, allow_null=True)
