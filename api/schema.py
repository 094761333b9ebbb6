"""OpenAPI for the API key authentication (drf-spectacular extension), and the reference page's
reading of the schema."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (Team → API keys, or `manage.py create_api_key`).",
        }


METHODS = ("get", "post", "put", "patch", "delete")


def operations(schema: dict) -> list[dict]:
    """The schema's operations in path order, for the reference page: method, path, summary,
    parameters (name, where, required, type) and the answers' status codes."""
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": operation.get("operationId", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "request": _body_ref(operation.get("requestBody", {})),
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    return found


def _type(schema: dict) -> str:
    if "enum" in schema:
        return " | ".join(map(str, schema["enum"]))
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    return schema.get("format") or schema.get("type") or ""


def _body_ref(body: dict) -> str:
    for content in body.get("content", {}).values():
        ref = content.get("schema", {}).get("$ref", "")
        return ref.rsplit("/", 1)[-1]
    return ""
