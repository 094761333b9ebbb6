"""The API's reference page: rendered on the server from the OpenAPI schema, so it needs no
script, no CDN and no exception to the strict CSP."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator

from .schema import operations


@login_not_required
@require_GET
def reference(request):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    context = {
        "info": schema["info"],
        "operations": operations(schema),
        "components": schema.get("components", {}).get("schemas", {}),
    }
    return render(request, "api/reference.html", context)
