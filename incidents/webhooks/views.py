"""Inbound webhooks from GitHub and GitLab. Each request is authenticated by the
sender's own mechanism before its body is even parsed; a failed check stores
nothing and answers 401."""

import hashlib
import hmac
import json
import logging
from urllib.parse import parse_qs

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import DomainError
from ..services import deployments as deployment_services
from .events import PayloadError, github_event, gitlab_event

logger = logging.getLogger(__name__)

_ANSWER = inline_serializer(
    "WebhookAnswer",
    fields={
        "outcome": serializers.ChoiceField(
            choices=["created", "updated", "unchanged", "ignored", "pong"]
        ),
        "deployment": serializers.IntegerField(allow_null=True),
    },
)


class Unauthenticated(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"


class _WebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    source = ""

    def post(self, request):
        body = request.body
        self.verify(request, body)
        event_type = self.event_type(request)
        if event_type == "ping":
            return Response({"outcome": "pong", "deployment": None})
        if not self.is_deployment_event(event_type):
            logger.info("Ignored %s webhook event %r", self.source, event_type[:64])
            return _ignored()

        payload = _json(self.json_text(request, body))
        try:
            event = self.read_event(payload)
        except PayloadError as error:
            logger.warning("Refused %s webhook: %s", self.source, error.message)
            raise DomainError(error.message, field=error.field) from None
        if event is None:
            return _ignored()

        deployment, outcome = deployment_services.apply_deployment_event(event=event)
        code = status.HTTP_202_ACCEPTED if outcome == "ignored" else status.HTTP_200_OK
        return Response(
            {"outcome": outcome, "deployment": deployment.pk if deployment else None},
            status=code,
        )

    def verify(self, request, body: bytes) -> None:
        raise NotImplementedError

    def json_text(self, request, body: bytes) -> bytes:
        return body

    def event_type(self, request) -> str:
        raise NotImplementedError

    def is_deployment_event(self, event_type: str) -> bool:
        raise NotImplementedError

    def read_event(self, payload: dict):
        raise NotImplementedError


def _ignored() -> Response:
    return Response(
        {"outcome": "ignored", "deployment": None}, status=status.HTTP_202_ACCEPTED
    )


def _json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise DomainError("The body is not JSON.", field="body") from None
    if not isinstance(payload, dict):
        raise DomainError("The body must be a JSON object.", field="body")
    return payload


def _schema(header: str, description: str):
    return extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter(header, OpenApiTypes.STR, OpenApiParameter.HEADER),
        ],
        responses={200: _ANSWER, 202: _ANSWER},
        auth=[],
        description=description,
    )


class GitHubWebhookView(_WebhookView):
    source = "github"

    @_schema(
        "X-Hub-Signature-256",
        "GitHub `deployment_status` events (content type application/json or "
        "GitHub's form encoding), "
        "signed with GITHUB_WEBHOOK_SECRET. Other events are acknowledged (202).",
    )
    def post(self, request):
        return super().post(request)

    def verify(self, request, body: bytes) -> None:
        secret = settings.GITHUB_WEBHOOK_SECRET
        given = request.headers.get("X-Hub-Signature-256", "")
        if not secret:
            logger.warning("GitHub webhook refused: GITHUB_WEBHOOK_SECRET is not set")
            raise Unauthenticated("GitHub webhooks are not configured here.")
        expected = (
            "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(expected.encode(), given.encode(errors="replace")):
            logger.warning("GitHub webhook refused: bad or missing signature")
            raise Unauthenticated("The X-Hub-Signature-256 signature does not match.")

    def event_type(self, request) -> str:
        return request.headers.get("X-GitHub-Event", "")

    def json_text(self, request, body: bytes) -> bytes:
        # GitHub's default content type sends the JSON as a form field, payload=.
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            return body
        fields = parse_qs(body.decode("utf-8", errors="replace"))
        return fields.get("payload", [""])[0].encode()

    def is_deployment_event(self, event_type: str) -> bool:
        return event_type == "deployment_status"

    def read_event(self, payload: dict):
        return github_event(payload)


class GitLabWebhookView(_WebhookView):
    source = "gitlab"

    @_schema(
        "X-Gitlab-Token",
        "GitLab deployment events, authenticated by the secret token "
        "GITLAB_WEBHOOK_TOKEN. Other events are acknowledged (202).",
    )
    def post(self, request):
        return super().post(request)

    def verify(self, request, body: bytes) -> None:
        token = settings.GITLAB_WEBHOOK_TOKEN
        given = request.headers.get("X-Gitlab-Token", "")
        if not token:
            logger.warning("GitLab webhook refused: GITLAB_WEBHOOK_TOKEN is not set")
            raise Unauthenticated("GitLab webhooks are not configured here.")
        if not hmac.compare_digest(token.encode(), given.encode(errors="replace")):
            logger.warning("GitLab webhook refused: bad or missing token")
            raise Unauthenticated("The X-Gitlab-Token does not match.")

    def event_type(self, request) -> str:
        return request.headers.get("X-Gitlab-Event", "")

    def is_deployment_event(self, event_type: str) -> bool:
        return event_type == "Deployment Hook"

    def read_event(self, payload: dict):
        if payload.get("object_kind") != "deployment":
            return None
        return gitlab_event(payload)
