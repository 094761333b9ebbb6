"""Customer and SKU pages, and the order form's auto-complete. Thin: parse with forms, read
with selectors, change through commands. Every query is scoped to the user's company."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.login_flow import post_only
from common.exceptions import DomainError, refused
from common.form_errors import apply_errors
from common.pages import render_page

from . import commands, selectors
from .exceptions import RecordAlreadyCreated, RecordValidationError
from .forms import (
    PAGE_SIZE,
    EditCustomerForm,
    EditSkuForm,
    NewCustomerForm,
    NewSkuForm,
    SearchForm,
    VersionForm,
)

# --- lists ----------------------------------------------------------------------------------


def _list(request, rows_for, template: str, partial: str):
    """A searchable, paged list: `rows_for(user, query, active=...)` gives the queryset."""
    form = SearchForm(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    rows = rows_for(
        request.user, data.get("q") or "", active=None if data.get("inactive") else True
    )
    page = Paginator(rows if valid else rows.none(), PAGE_SIZE).get_page(data.get("page") or 1)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render_page(request, template, partial, context, status=200 if valid else 400)


@require_GET
@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request):
    return _list(
        request,
        selectors.customers,
        "customers/list.html",
        "customers/partials/customer_table.html",
    )


@require_GET
@permission_required("customers.view_sku", raise_exception=True)
def sku_list(request):
    return _list(
        request, selectors.skus, "customers/sku_list.html", "customers/partials/sku_table.html"
    )


# --- a customer's page -----------------------------------------------------------------------

ORDERS_SHOWN = 50  # the customer's newest orders on its page; the order list has them all


@require_GET
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request, customer_id):
    customer = selectors.customer(request.user, customer_id)
    orders = selectors.customer_orders(request.user, customer.pk).order_by(
        "-placed_at", "-sequence"
    )
    context = {
        "customer": customer,
        "orders": orders[:ORDERS_SHOWN],
        "orders_shown": ORDERS_SHOWN,
        "totals": selectors.order_totals(request.user, customer.pk),
        "currency": request.user.company.currency,
        "version_form": VersionForm(initial={"version": customer.version}),
    }
    return render(request, "customers/detail.html", context)


# --- create and edit -------------------------------------------------------------------------


def _save(request, form, run, *, kind: str, page: str, context: dict):
    """Run the command `run()` for a valid `form`; on success redirect to what it returns,
    else put the command's errors on the form and show `page` again (422/409/403/404)."""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                record, message = run()
            except RecordAlreadyCreated as repeat:
                messages.info(request, str(repeat))
                return redirect(repeat.record)
            except RecordValidationError as error:
                refused(error, command=f"save_{kind}", user=request.user)
                apply_errors(form, error.errors)
            except DomainError as error:
                status = refused(error, command=f"save_{kind}", user=request.user)
                form.add_error(None, str(error))
            else:
                messages.success(request, message)
                return redirect(record)
    return render(request, page, {"form": form, **context}, status=status)


@require_http_methods(["GET", "POST"])
@permission_required("customers.add_customer", raise_exception=True)
def customer_create(request):
    form = NewCustomerForm(request.POST or None)

    def run():
        made = commands.create_customer(
            actor=request.user, details=form.details(), token=form.cleaned_data["token"]
        )
        return made, _("Customer %(name)s was added.") % {"name": made.name}

    return _save(request, form, run, kind="customer", page="customers/form.html", context={})


@require_http_methods(["GET", "POST"])
@permission_required("customers.change_customer", raise_exception=True)
def customer_edit(request, customer_id):
    customer = selectors.customer(request.user, customer_id)
    if request.method == "POST":
        form = EditCustomerForm(request.POST)
    else:
        fields = EditCustomerForm.base_fields
        form = EditCustomerForm(initial={name: getattr(customer, name) for name in fields})

    def run():
        changed = commands.change_customer(
            customer.pk, actor=request.user, details=form.details(),
            expected_version=form.cleaned_data["version"],
        )  # fmt: skip
        return changed, _("Customer %(name)s was saved.") % {"name": changed.name}

    context = {"customer": customer}
    return _save(request, form, run, kind="customer", page="customers/form.html", context=context)


@require_http_methods(["GET", "POST"])
@permission_required("customers.add_sku", raise_exception=True)
def sku_create(request):
    form = NewSkuForm(request.POST or None)

    def run():
        made = commands.create_sku(
            actor=request.user, details=form.details(), token=form.cleaned_data["token"]
        )
        return made, _("SKU %(code)s was added.") % {"code": made.code}

    return _save(request, form, run, kind="sku", page="customers/sku_form.html", context={})


@require_http_methods(["GET", "POST"])
@permission_required("customers.change_sku", raise_exception=True)
def sku_edit(request, sku_id):
    sku = selectors.sku(request.user, sku_id)
    if request.method == "POST":
        form = EditSkuForm(request.POST)
    else:
        form = EditSkuForm(
            initial={
                "code": sku.code,
                "description": sku.description,
                "unit_price": sku.unit_price,
                "version": sku.version,
            }
        )

    def run():
        changed = commands.change_sku(
            sku.pk, actor=request.user, details=form.details(),
            expected_version=form.cleaned_data["version"],
        )  # fmt: skip
        return changed, _("SKU %(code)s was saved.") % {"code": changed.code}

    return _save(
        request, form, run, kind="sku", page="customers/sku_form.html", context={"sku": sku}
    )


# --- deactivate and reactivate ---------------------------------------------------------------

_ACTIVATION = {
    ("customer", True): commands.reactivate_customer,
    ("customer", False): commands.deactivate_customer,
    ("sku", True): commands.reactivate_sku,
    ("sku", False): commands.deactivate_sku,
}


def _set_active(request, kind: str, record, active: bool):
    form = VersionForm(request.POST)
    back = redirect(record)
    if not form.is_valid():
        messages.error(request, _("The page was out of date: look again and retry."))
        return back
    try:
        done = _ACTIVATION[(kind, active)](
            record.pk, actor=request.user, expected_version=form.cleaned_data["version"]
        )
    except DomainError as error:
        status = refused(error, command=f"set_active_{kind}", user=request.user)
        messages.error(request, str(error))
        if status == 409:
            messages.info(request, _("Someone changed it meanwhile: this is it now."))
        return back
    messages.success(
        request,
        (_("%(record)s was reactivated.") if active else _("%(record)s was deactivated."))
        % {"record": done},
    )
    return back


@post_only
@permission_required("customers.deactivate_customer", raise_exception=True)
def customer_set_active(request, customer_id, active: bool):
    return _set_active(request, "customer", selectors.customer(request.user, customer_id), active)


@post_only
@permission_required("customers.deactivate_sku", raise_exception=True)
def sku_set_active(request, sku_id, active: bool):
    return _set_active(request, "sku", selectors.sku(request.user, sku_id), active)


# --- the order form's auto-complete ----------------------------------------------------------


def _query(request) -> str:
    """What was typed: `q`, or the order form's own field (htmx sends the input by its name)."""
    return request.GET.get("q") or request.GET.get("customer") or ""


@require_GET
@permission_required("customers.view_customer", raise_exception=True)
def customer_lookup(request):
    """At most `selectors.LOOKUP_LIMIT` active customers matching what was typed: buttons the
    order form's script turns into a pick (fills the customer's details)."""
    matches = selectors.customer_matches(request.user, _query(request))
    return render(request, "customers/partials/customer_matches.html", {"matches": matches})


@require_GET
@permission_required("customers.view_sku", raise_exception=True)
def sku_lookup(request):
    """At most `selectors.LOOKUP_LIMIT` active SKUs matching the typed code or description."""
    typed = request.GET.get("q") or next(
        (value for key, value in request.GET.items() if key.endswith("-sku")), ""
    )
    matches = selectors.sku_matches(request.user, typed)
    return render(request, "customers/partials/sku_matches.html", {"matches": matches})
