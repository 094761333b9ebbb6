from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from outbox import commands as outbox_commands
from outbox.exceptions import ItemNotFound, ItemNotParked, OutboxNotPermitted

from . import selectors


@require_GET
@permission_required("orders.view_ops_desk", raise_exception=True)
def desk(request):
    """The system's health on one page: the platform's for the platform operator (a
    superuser), a company's own figures for its Ops users; each with the company's worker and
    subscriptions. The only writes are the outbox's retry and skip."""
    outbox = selectors.outbox_desk(request.user.company_id, now=timezone.now())
    if request.user.is_superuser:
        context = {"desk": selectors.ops_desk(), "outbox": outbox}
        return render(request, "ops/desk.html", context)
    context = {"desk": selectors.company_desk(request.user.company_id), "outbox": outbox}
    return render(request, "ops/company_desk.html", context)


# No permission_required on the two actions: the command looks the item up in the user's company
# first, so another company's item is a 404 for everyone, then asks for the ops permission (403).
@require_POST
def outbox_retry(request, item_id):
    """Put a parked delivery back in the queue (an audited event)."""
    return _outbox_action(request, outbox_commands.retry_item, item_id, _("queued again"))


@require_POST
def outbox_skip(request, item_id):
    """Give a parked delivery up (an audited event)."""
    return _outbox_action(request, outbox_commands.skip_item, item_id, _("skipped"))


def _outbox_action(request, command, item_id, done: str):
    try:
        item = command(actor=request.user, item_id=item_id)
    except ItemNotFound:
        raise Http404(_("No such parked item.")) from None
    except OutboxNotPermitted as error:
        raise PermissionDenied(str(error)) from None
    except ItemNotParked as error:
        messages.warning(request, str(error))
    else:
        messages.success(request, f"{item.summary or item.key}: {done}.")
    return redirect("ops:desk")
