"""Order pages. Thin: parse with forms, read with selectors, change through commands."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import CompanyTimeZoneForm
from accounts.login_flow import post_only
from common.csv_export import csv_dialect, csv_response, headers
from common.exceptions import DomainError, refused, status_for
from common.form_errors import apply_errors
from common.pages import render_page, wants_partial
from customers import selectors as customer_selectors
from outbox import selectors as outbox_selectors

from . import (
    commands,
    erasure,
    exports,
    history,
    permissions,
    policy,
    saved_views,
    selectors,
    why_not,
    wording,
)
from .exceptions import (
    ActionNotPermitted,
    ConcurrencyError,
    OrderAlreadyPlaced,
    OrderError,
    OrderValidationError,
    TransitionNotAllowed,
)
from .filters import OrderFilter, sort_columns
from .forms import (
    AmendOrderForm,
    AsOfForm,
    BulkActionForm,
    EditOrderForm,
    ErasureForm,
    LineFormSet,
    NewOrderForm,
    NoteForm,
    PolicyForm,
    SavedViewForm,
    TransitionForm,
    initial_lines,
)
from .models import Order, OrderState

# How long an identical order by the same user counts as "the same form sent again".
REPEAT_WINDOW = dt.timedelta(minutes=10)

# --- list -----------------------------------------------------------------------------------


@require_GET
@permission_required("orders.view_order", raise_exception=True)
def order_list(request):
    filterset = OrderFilter(
        request.GET, queryset=selectors.order_summaries(request.user), request=request
    )
    valid = filterset.is_valid()
    if valid and request.GET.get("format") == "csv":  # the whole filtered, sorted list
        rows = exports.order_csv_rows(filterset.qs)
        return csv_response("orders.csv", headers(exports.ORDER_CSV), rows, csv_dialect(request))
    context = _list_context(request, filterset, valid)
    return render_page(
        request,
        "orders/list.html",
        "orders/partials/order_table.html",
        context,
        status=200 if valid else 400,
    )


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _list_context(request, filterset, valid: bool) -> dict:
    """The list page's context: one page of the filtered rows, each with the bulk actions it
    allows, the sortable columns and the pager."""
    data = filterset.form.cleaned_data if valid else {}
    per_page = data.get("per_page") or settings.ORDERS_PER_PAGE
    page = Paginator(filterset.qs if valid else filterset.qs.none(), per_page)
    page = page.get_page(data.get("page") or 1)
    bulk_form = _bulk_form(request.user, initial={"query": request.GET.urlencode()})
    names = [name for name, _ in bulk_form.fields["action"].choices]
    page.object_list = _with_reasons(
        selectors.with_row_actions(page.object_list, request.user, names), request.user, names
    )
    return {
        "filter": filterset,
        "page": page,
        "query": _query_without_page(request),
        "columns": sort_columns(request.GET),
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_ends=1)),
        "bulk_form": bulk_form,
        "saved_views": [
            (view, _list_url(view.query)) for view in saved_views.saved_views(request.user)
        ],
        "save_view_form": SavedViewForm(
            initial={"query": _query_without_page(request)}, auto_id="save_view_%s"
        ),
    }


# --- saved views of the list -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("orders.view_order", raise_exception=True)
def saved_view_list(request):
    """The user's saved views (rename, delete) and (POST) save the list's query under a name:
    then the list opens with it."""
    form = SavedViewForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _saved_views_page(request, form, status=400)
        try:
            view = saved_views.saved_view_create(user=request.user, **form.cleaned_data)
        except OrderError as error:
            form.add_error("name", str(error))
            return _saved_views_page(request, form, status=status_for(error))
        messages.success(request, gettext("Saved as “%(name)s”.") % {"name": view.name})
        return redirect(_list_url(view.query))
    return _saved_views_page(request, form)


@post_only
@permission_required("orders.view_order", raise_exception=True)
def saved_view_rename(request, view_id):
    form = SavedViewForm(request.POST)
    name = form.data.get("name", "")
    try:
        view = saved_views.saved_view_rename(user=request.user, view_id=view_id, name=name)
    except OrderError as error:
        return _saved_view_refused(request, error)
    messages.success(request, gettext("Renamed to “%(name)s”.") % {"name": view.name})
    return redirect("orders:saved_views")


@post_only
@permission_required("orders.view_order", raise_exception=True)
def saved_view_delete(request, view_id):
    try:
        view = saved_views.saved_view_delete(user=request.user, view_id=view_id)
    except OrderError as error:
        return _saved_view_refused(request, error)
    messages.success(request, gettext("The view “%(name)s” was deleted.") % {"name": view.name})
    return redirect("orders:saved_views")


def _saved_view_refused(request, error: OrderError):
    status = status_for(error)
    if status == 404:
        raise Http404(str(error))
    return _saved_views_page(request, SavedViewForm(), status=status, error=str(error))


def _saved_views_page(request, form, *, status: int = 200, error: str = ""):
    context = {
        "views": [(view, _list_url(view.query)) for view in saved_views.saved_views(request.user)],
        "form": form,
        "error": error,
        "max_views": saved_views.MAX_PER_USER,
    }
    return render(request, "orders/saved_views.html", context, status=status)


def _list_url(query: str) -> str:
    url = reverse("orders:list")
    return f"{url}?{query}" if query else url


def _with_reasons(rows: list[dict], user, names: list[str]) -> list[dict]:
    """Each row with `why`: JSON {action: the workflow's sentence why it does not apply} for
    the bulk actions the row does not allow (the bulk bar counts and shows them)."""
    known: dict[tuple, str] = {}  # rows alike in state and in having lines read alike
    for row in rows:
        key = (row["state"], row["line_count"] > 0, row["actions"])
        if key not in known:
            allowed = set(row["actions"].split())
            probe = Order(state=row["state"], line_count=row["line_count"])
            known[key] = json.dumps(
                {
                    name: str(why_not.action_reason(probe, user, name))
                    for name in names
                    if name not in allowed
                }
            )
        row["why"] = known[key]
    return rows


def _bulk_form(user, data=None, **kwargs) -> BulkActionForm:
    specs = commands.workflow_transitions()
    actions = selectors.bulk_actions(user)
    needs_reason = {name for name, _ in actions if "reason" in specs[name]["fields"]}
    return BulkActionForm(data, actions=actions, needs_reason=needs_reason, **kwargs)


@post_only
@permission_required("orders.view_order", raise_exception=True)
def order_bulk_action(request):
    """One workflow action on each ticked order, each through its own command (its version,
    one event); answers with every order's outcome. Each command checks the permission."""
    form = _bulk_form(request.user, request.POST)
    if not form.is_valid():
        return render(request, "orders/bulk_result.html", {"form": form}, status=400)
    data = form.cleaned_data
    if request.POST.get("confirmed") != "yes":  # every bulk action is confirmed first
        return _bulk_confirmation(request, form)
    extra = {"reason": data["reason"]} if data["action"] in form.needs_reason else {}
    outcomes = commands.transition_each(data["orders"], data["action"], actor=request.user, **extra)
    for outcome in outcomes:
        if outcome.error is not None:
            refused(
                outcome.error, command=data["action"], order=outcome.order_id, user=request.user
            )
    numbers = selectors.order_numbers(request.user, (o.order_id for o in outcomes))
    context = {
        "form": form,
        "label": dict(form.fields["action"].choices)[data["action"]],
        "results": [(outcome, numbers.get(outcome.order_id, "")) for outcome in outcomes],
        "done": sum(outcome.done for outcome in outcomes),
    }
    return render(request, "orders/bulk_result.html", context)


def _bulk_confirmation(request, form):
    """The second step of a bulk action: the action, how many orders and which, then Confirm
    (the same form again, with `confirmed=yes`) or back to the list. A page without JavaScript;
    with htmx the same markup comes as a dialog."""
    data = form.cleaned_data
    numbers = selectors.order_numbers(request.user, (order_id for order_id, _ in data["orders"]))
    context = {
        "form": form,
        "label": dict(form.fields["action"].choices)[data["action"]],
        "orders": [(order_id, numbers.get(order_id, "")) for order_id, _ in data["orders"]],
        "values": [f"{order_id}:{version}" for order_id, version in data["orders"]],
    }
    return render_page(
        request, "orders/bulk_confirm.html", "orders/partials/bulk_confirm_dialog.html", context
    )


# --- create and edit ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("orders.place_order", raise_exception=True)
def order_create(request):
    form, formset = _order_forms(request, NewOrderForm, data=request.POST or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        if _identical_order_to_confirm(request.user, form, formset):
            return _form_page(request, form, formset, status=409)
        try:
            order = commands.place_order(
                actor=request.user, details=form.details(), lines=formset.lines(),
                order_id=form.cleaned_data["order_id"], new_customer=form.new_customer(),
            )  # fmt: skip
        except OrderAlreadyPlaced as repeat:  # the same form sent again: show what it made
            _refused_place(request, form, repeat)
            messages.info(request, str(repeat))
            return redirect("orders:detail", order_id=repeat.order.id)
        except OrderValidationError as error:
            _refused_place(request, form, error)
            apply_errors(form, error.errors, formset=formset)
        except ActionNotPermitted as error:
            _refused_place(request, form, error)
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(request, wording.created(order.number))
            return redirect("orders:detail", order_id=order.id)
    return _form_page(request, form, formset)


@require_http_methods(["GET", "POST"])
@permission_required("orders.change_draft_order", raise_exception=True)
def order_edit(request, order_id):
    summary = selectors.order_summary(request.user, order_id)
    if request.method == "GET" and summary.state != OrderState.DRAFT:
        # Only drafts change: say so before the user types an edit the command would refuse.
        return _error_page(request, _not_a_draft(summary), summary)
    form, formset = _edit_forms(request, summary)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            commands.change_order(
                order_id, actor=request.user, details=form.details(), lines=formset.lines(),
                expected_version=form.cleaned_data["version"], new_customer=form.new_customer(),
            )  # fmt: skip
        except OrderValidationError as error:
            refused(error, command="change", order=order_id, user=request.user)
            apply_errors(form, error.errors, formset=formset)
        except (ConcurrencyError, TransitionNotAllowed) as error:  # another tab/user acted first
            refused(error, command="change", order=order_id, user=request.user)
            return _edit_conflict(request, form, formset, order_id, error)
        except OrderError as error:
            refused(error, command="change", order=order_id, user=request.user)
            return _error_page(request, error, summary)
        else:
            messages.success(request, wording.saved(summary.number))
            return redirect("orders:detail", order_id=order_id)
    return _form_page(request, form, formset, summary)


def _refused_place(request, form, error: DomainError) -> None:
    order_id = form.cleaned_data["order_id"]
    refused(error, command="place_order", order=order_id, user=request.user)


@require_http_methods(["GET", "POST"])
@permission_required("orders.amend_order", raise_exception=True)
def order_amend(request, order_id):
    """Amend an approved order (a correction with a reason): new contents, back to submitted
    for approval under the company's policy. The history shows the difference."""
    summary = selectors.order_summary(request.user, order_id)
    if request.method == "GET" and summary.state != OrderState.APPROVED:
        return _error_page(request, _not_amendable(summary), summary)
    form, formset = _amend_forms(request, summary)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            order = commands.amend_order(
                order_id, actor=request.user, details=form.details(), lines=formset.lines(),
                reason=form.cleaned_data["reason"], expected_version=form.cleaned_data["version"],
            )  # fmt: skip
        except OrderValidationError as error:
            apply_errors(form, error.errors, formset=formset)
        except DomainError as error:  # not possible now, or changed meanwhile (409)
            return _error_page(request, error, summary)
        else:
            messages.success(request, wording.amended(order.number))
            return redirect("orders:detail", order_id=order_id)
    context = {"form": form, "formset": formset, "summary": summary, "amending": True}
    status = 422 if request.method == "POST" else 200
    return render(request, "orders/form.html", context, status=status)


def _amend_forms(request, summary):
    """The amend form and its lines: as posted, or the order's current contents."""
    if request.method == "POST":
        return _order_forms(request, AmendOrderForm, data=request.POST, new_customers=False)
    return _order_forms(request, AmendOrderForm, summary=summary, new_customers=False)


def _order_forms(request, form_class, *, data=None, summary=None, new_customers=True):
    """The order form of `form_class` and its lines, for the user's company: as posted
    (`data`), or showing `summary` (an order's current contents), or blank. `new_customers`:
    offer to add the details as a new customer (to those who may)."""
    user = request.user
    may_add = new_customers and user.has_perm("customers.add_customer")
    kwargs = {"company_id": user.company_id}
    if summary is not None:
        fields = [name for name in form_class.base_fields if hasattr(summary, name)]
        initial = {name: getattr(summary, name) for name in fields}
        lines = LineFormSet(initial=initial_lines(summary.lines), prefix="lines", **kwargs)
        return form_class(initial=initial, may_add_customer=may_add, **kwargs), lines
    lines = LineFormSet(data, prefix="lines", **kwargs)
    # "New order" on a customer's page: that customer, picked.
    initial = {"customer_id": request.GET["customer"]} if "customer" in request.GET else {}
    return form_class(data, initial=initial, may_add_customer=may_add, **kwargs), lines


def _not_amendable(summary) -> TransitionNotAllowed:
    return TransitionNotAllowed(wording.not_amendable(summary))


def _edit_conflict(request, form, formset, order_id, error):
    """409 (422 for a page that never showed a draft): the edit form again with what the user
    typed (never thrown away), what happened meanwhile, and what they can do: save again over
    the newer draft, or, if it is no longer a draft, copy their text (the Save button is gone)."""
    summary = selectors.order_summary(request.user, order_id)
    still_draft = summary.state == OrderState.DRAFT
    seen_version = form.cleaned_data["version"]
    if still_draft:  # a second Save replaces the other change knowingly
        form.data = form.data.copy()
        form.data["version"] = str(summary.version)
    context = {
        "form": form,
        "formset": formset,
        "summary": summary,
        "conflict": conflict_explanation(request.user, summary, seen_version)
        if isinstance(error, ConcurrencyError)
        else wording.copy_what_you_typed(error),
        "still_draft": still_draft,
    }
    return render(request, "orders/form.html", context, status=status_for(error))


def conflict_explanation(user, summary, seen_version: int | None) -> str:
    """For the edit form: what changed the order since the user's page was drawn, and what they
    can do (`wording.conflict_explanation`)."""
    return wording.conflict_explanation(what_happened(user, summary, seen_version), summary)


def what_happened(user, summary, seen_version: int | None) -> str:
    """The order's newest change since `seen_version`, who and when (`wording.what_happened`)."""
    change = history.last_change(user, summary.id)
    return wording.what_happened(user, summary, change, seen_version)


def _not_a_draft(summary) -> TransitionNotAllowed:
    return TransitionNotAllowed(wording.not_a_draft(summary))


def _identical_order_to_confirm(user, form, formset) -> bool:
    """True (and the form asks "create another anyway?") when `user` placed an identical order
    moments ago from another form: a resubmission from history. The same `order_id` is the same
    form again, which `place_order` itself lands on its order."""
    if form.cleaned_data["create_another"]:
        return False
    repeat = selectors.recent_identical_order(
        user, form.details(), formset.lines(), within=REPEAT_WINDOW
    )
    token = form.cleaned_data["order_id"]
    if repeat is None or (token and repeat.id == commands.order_id_for(user.company_id, token)):
        return False
    form.ask_to_confirm(repeat)
    return True


def _form_page(request, form, formset, summary=None, status=None):
    sent_back = summary and history.sent_back(summary, history.history(request.user, summary.id))
    context = {"form": form, "formset": formset, "summary": summary, "sent_back": sent_back}
    status = status or (422 if request.method == "POST" else 200)
    return render(request, "orders/form.html", context, status=status)


def _edit_forms(request, summary):
    if request.method == "POST":
        return _order_forms(request, EditOrderForm, data=request.POST)
    return _order_forms(request, EditOrderForm, summary=summary)


def _error_page(request, error, summary=None):
    context = {"error": str(error), "summary": summary, "conflict": status_for(error) == 409}
    return render(request, "orders/error.html", context, status=status_for(error))


# --- detail and actions ---------------------------------------------------------------------


@require_GET
@permission_required("orders.view_order", raise_exception=True)
def order_detail(request, order_id):
    return render(request, "orders/detail.html", detail_context(request, order_id))


PRINTED_DOCUMENTS = {"confirmation", "packing-slip"}


@require_GET
@permission_required("orders.view_order", raise_exception=True)
def order_print(request, order_id):
    """The order on paper (issue #29 §6): `?document=confirmation` (default: company,
    customer, lines, totals, state, reference) or `packing-slip` (what to pack and where to,
    no prices). A page of its own without navigation or buttons; an unknown document is 400."""
    document = request.GET.get("document", "confirmation")
    if document not in PRINTED_DOCUMENTS:
        return HttpResponseBadRequest(
            gettext("Choose document=confirmation or document=packing-slip.")
        )
    summary = selectors.order_summary(request.user, order_id)
    context = {"summary": summary, "company": request.user.company, "document": document}
    return render(request, "orders/print.html", context)


def detail_context(
    request,
    order_id,
    *,
    error: str = "",
    conflict: bool = False,
    failed: str = "",
    form=None,
    order: Order | None = None,
) -> dict:
    """What the detail page and its panels show; `failed`/`form` re-open a rejected action.
    `order`: the order-state row as a command of this request has just written it (the
    command's result: not read back), else read."""
    if order is None:
        summary, order = selectors.order_with_state(request.user, order_id)
    else:
        summary = selectors.order_summary(request.user, order_id)
    if "policy" not in order.__dict__:  # else the one its command judged it by, just now
        # The order is the user's company's (`order_state`): judged by the policy in force,
        # read once for the request with the company the user came with (not its currency).
        order.policy = policy.users_policy(request.user)
    rejected = {failed: _on_version(form, order.version)} if form is not None else {}
    actions = _action_forms(order, request.user, rejected)
    entries = history.history(request.user, order_id)
    return {
        "summary": summary,
        "sent_back": history.sent_back(summary, entries),
        "imported_from": entries[0].imported_from if entries else "",
        "order": order,
        "actions": actions,
        "unsaved": _unsaved_text(form, failed, {a["name"] for a in actions}),
        "error": error,
        "conflict": conflict,
        "failed": failed,
        "history": entries,
        "can_write": permissions.may_change_orders(request.user),
        "why_not": why_not.blocked_reasons(order, request.user),
        "waiting_second": policy.waiting_words(order) if policy.waiting_for_second(order) else "",
        "can_amend": order.state == OrderState.APPROVED
        and request.user.has_perm("orders.amend_order"),
        "note_form": rejected.get("add_note") or NoteForm(initial={"version": order.version}),
        "erasure_form": ErasureForm() if request.user.has_perm(erasure.PERMISSION) else None,
    }


def _unsaved_text(form, failed: str, shown: set[str]) -> list[tuple[str, str]]:
    """(label, text) of what the user typed into a rejected action whose form is no longer
    shown (the action is not open any more), so the page never drops their text."""
    if form is None or failed == "add_note" or failed in shown or not form.is_bound:
        return []
    return [
        (form.fields[name].label, form.data.get(name, ""))
        for name in getattr(form, "needs", ())
        if form.data.get(name, "").strip()
    ]


def _action_forms(order, user, rejected: dict) -> list[dict]:
    """The actions open to `user`, each with its form: the rejected one as sent, others blank."""
    return [
        {
            "name": t.name,
            **t.custom,
            "form": rejected.get(t.name)
            or TransitionForm(
                needs=t.custom["fields"],
                initial={"version": order.version},
                auto_id=f"id_{t.name}_%s",
            ),
        }
        for t in selectors.available_actions(order, user)
    ]


def _on_version(form, version: int):
    """A rejected form, re-opened on the order's current version: after a conflict the user sees
    the new state and can retry knowingly, without retyping the reason."""
    if form is not None and form.is_bound:
        form.data = form.data.copy()
        form.data["version"] = str(version)
    return form


@post_only
def order_transition(request, order_id, name):
    """Run workflow action `name`; its permission is the FSM's (`permission=` on the
    transition, which may depend on the order's state), checked by the command: 403 without."""
    spec = commands.workflow_transitions().get(name)
    if spec is None:
        raise Http404(wording.no_such_action(name))
    form = TransitionForm(request.POST, needs=spec["fields"], auto_id=f"id_{name}_%s")
    if spec["confirm"] and request.POST.get("confirmed") != "yes" and form.is_valid():
        return _confirmation(request, order_id, name, spec, form)
    return _act(
        request,
        order_id,
        name,
        form,
        lambda data: commands.transition(
            order_id,
            name,
            actor=request.user,
            expected_version=data["version"],
            **form.data_fields(),
        ),
    )


def _confirmation(request, order_id, name, spec, form):
    """Ask before what cannot be undone (deliver, cancel): the order, the action and what was
    typed, then Confirm (the same form with `confirmed=yes`). A page of its own without
    JavaScript; with htmx the state panel with the question as a dialog."""
    summary = selectors.order_summary(request.user, order_id)
    confirming = {
        "name": name,
        "label": spec["label"],
        "style": spec["style"],
        "url": request.path,
        "version": form.cleaned_data["version"],
        "fields": [(form.fields[f].label, f, value) for f, value in form.data_fields().items()],
    }
    if wants_partial(request):
        context = detail_context(request, order_id) | {"confirming": confirming}
        return render(request, "orders/partials/state_panel.html", context)
    return render(request, "orders/confirm.html", {"summary": summary, "confirming": confirming})


@post_only
@permission_required("orders.add_note_order", raise_exception=True)
def order_add_note(request, order_id):
    form = NoteForm(request.POST)
    return _act(
        request,
        order_id,
        "add_note",
        form,
        lambda data: commands.add_note(
            order_id, actor=request.user, expected_version=data["version"], text=data["text"]
        ),
    )


def _act(request, order_id, name, form, run):
    """Validate, run the command, answer with the updated panels (htmx) or a redirect.

    Another company's order is a 404 either way: the command refuses it (OrderNotFound) and
    `detail_context` cannot load it.
    """
    status, error, order = _outcome(form, run, command=name, order_id=order_id, user=request.user)
    if status == 200:
        messages.success(request, wording.action_done(name, order))
    if status == 200 and not wants_partial(request):
        response = redirect("orders:detail", order_id=order_id)
        response.status_code = 303  # See Other: the browser GETs the detail page
        return response
    rejected = {"failed": name, "form": form} if error else {}
    if status == 409:  # who did what, when: the panels below show the order as it is now
        summary = selectors.order_summary(request.user, order_id)
        seen = form.cleaned_data.get("version")
        error = f"{what_happened(request.user, summary, seen)}. {error}"
    context = detail_context(
        request, order_id, error=error, conflict=status == 409, order=order, **rejected
    )
    template, partial = "orders/detail.html", "orders/partials/after_action.html"
    return render_page(request, template, partial, context, status=status)


def _outcome(form, run, *, command: str, order_id, user) -> tuple[int, str, object]:
    """(status, error message, the command's order) of validating `form` and running the
    command on its data (a refusal logged where it becomes the status)."""
    if not form.is_valid():
        # The form's own errors first: a hidden field's (a stale or edited version) is only
        # said there (`HiddenErrorsShown`).
        said = " ".join(form.non_field_errors())
        return 422, said or str(wording.CORRECT_BELOW), None
    try:
        order = run(form.cleaned_data)
    except DomainError as exc:
        return refused(exc, command=command, order=order_id, user=user), str(exc), None
    return 200, "", order


# --- history --------------------------------------------------------------------------------


@post_only
@permission_required(erasure.PERMISSION, raise_exception=True)
def order_erase(request, order_id):
    """Erase the personal data of this order's customer (every order with its e-mail address,
    or this order alone without one); then show the erasure's certificate."""
    form = ErasureForm(request.POST)
    if form.is_valid():
        try:
            done = erasure.erase_customer(
                company_id=request.user.company_id,
                order_id=order_id,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as error:
            return _error_page(request, error)
        messages.success(
            request,
            ngettext(
                "The customer's personal data was erased from %(count)d order.",
                "The customer's personal data was erased from %(count)d orders.",
                len(done.orders),
            )
            % {"count": len(done.orders)},
        )
        return redirect("audit:erasure", event_id=done.event.id)
    context = detail_context(request, order_id) | {"erasure_form": form}
    return render(request, "orders/detail.html", context, status=400)


@post_only
@permission_required(erasure.PERMISSION, raise_exception=True)
def customer_erase(request, customer_id):
    """Erase a customer record's personal data and that of every order of theirs (the Manager
    action on the customer's page); then show the erasure's certificate. Another company's
    customer is a 404 whatever was sent."""
    customer = customer_selectors.customer(request.user, customer_id)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Say why the data is erased."))
        return redirect(customer)
    try:
        done = erasure.erase_customer(
            company_id=request.user.company_id,
            customer_id=str(customer.pk),
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except DomainError as error:
        return _error_page(request, error)
    return redirect("audit:erasure", event_id=done.event.id)


@require_GET
@permission_required("orders.view_order", raise_exception=True)
def order_history(request, order_id):
    summary = selectors.order_summary(request.user, order_id)  # 404 for another company's
    entries = history.history(request.user, order_id)
    if request.GET.get("format") == "csv":
        return _history_csv(request, entries, summary.number)
    form = AsOfForm(request.GET or None, last_version=summary.version)
    valid = not form.is_bound or form.is_valid()
    data = form.cleaned_data if form.is_bound and valid else {}
    version = data.get("version")
    context = {
        "summary": summary,
        "entries": entries,
        "form": form,
        "as_of": data.get("as_of"),
        "as_of_entry": next((e for e in entries if e.version == version), None),
        "snapshot": history.snapshot_at(
            request.user, order_id, moment=data.get("as_of"), version=version
        ),
        "notifications": outbox_selectors.done_for_stream(request.user.company_id, order_id),
    }
    template, partial = "orders/history.html", "orders/partials/history_body.html"
    return render_page(request, template, partial, context, status=200 if valid else 400)


def _history_csv(request, entries, number: str):
    rows = exports.history_csv_rows(entries)
    return csv_response(
        f"{number}-history.csv", headers(exports.HISTORY_CSV), rows, csv_dialect(request)
    )


# --- company controls -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("orders.manage_controls", raise_exception=True)
def company_controls(request):
    """The company's controls (a Manager's settings page): the policy in force, a form to
    change it (each change an event), and every earlier version with who, when, old → new."""
    company_id = request.user.company_id
    current = policy.policy_in_force(company_id)
    if request.method != "POST":
        return _controls_page(request, PolicyForm.for_policy(current), current, 200)
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return _controls_page(request, form, current, 422)
    try:
        after = commands.change_policy(
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            settings=form.settings(),
        )
    except OrderValidationError as error:
        apply_errors(form, error.errors)
        return _controls_page(request, form, current, 422)
    except ConcurrencyError:
        form.add_error(None, wording.CONTROLS_CHANGED_MEANWHILE)
        form.data = form.data.copy()
        form.data["version"] = str(current.version)
        return _controls_page(request, form, current, 409)
    if after.version == current.version:
        messages.info(request, wording.NOTHING_CHANGED)
    else:
        messages.success(request, wording.controls_saved(after.version))
    return redirect("orders:controls")


def _controls_page(request, form, current, status: int):
    context = {
        "form": form,
        "policy": current,
        "versions": list(reversed(policy.policy_history(request.user.company_id))),
        "rules": wording.rules_in_words(current),
        "zone_form": CompanyTimeZoneForm(initial={"time_zone": request.user.company.time_zone}),
    }
    return render(request, "orders/controls.html", context, status=status)
