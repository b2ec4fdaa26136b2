"""OpenAPI details drf-spectacular cannot infer: how tokens are sent, and the one
error shape (incidents.errors) that every operation may answer with."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Messages per field; nested for nested fields.",
                    "additionalProperties": True,
                },
            },
        }
    },
}

# Every operation may answer these; the few that cannot are harmless to list.
_COMMON = {
    "400": "The request is malformed or a field is invalid (named in error.fields).",
    "401": "No valid token or session.",
    "403": "The token or person lacks the role for this.",
    "404": "No such record (or page).",
    "405": "Method not allowed here.",
    "406": "Cannot answer in the accepted media type.",
    "415": "Unsupported request media type.",
}
_UNSAFE = {
    "413": "The request body is too large.",
    "409": "The record changed in a way that conflicts with the request.",
    "412": "The If-Match version is stale.",
    "422": "The request is well formed but breaks a rule of the record.",
    "428": "This write needs an If-Match header.",
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from an admin: `Authorization: Bearer hs_…` "
            "(`Token hs_…` works too).",
        }


def add_error_responses(result, generator, request, public):
    """Post-processing hook: add the error shape to every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = dict(_COMMON)
            if method in {"post", "put", "patch", "delete"}:
                codes.update(_UNSAFE)
            for code, description in codes.items():
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
