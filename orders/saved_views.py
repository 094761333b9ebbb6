"""Saved views of the order list (issue #32): a user's named filter + sort + page size, one click
from the list. Create, rename, delete; at most `MAX_PER_USER` per user; each belongs to its
user and company (another user's view is `SavedViewNotFound`, a 404).

The query is stored as the list's own query string, checked by the list's filter form (a view
that the list would refuse is refused here), without the page number and empty values.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext

from common.typed_input import InputError, clean_text

from .exceptions import InvalidSavedView, SavedViewNotFound
from .filters import OrderFilter
from .models import SavedView

MAX_PER_USER = 20
NAME_MAX = 60
QUERY_MAX = 2000
_NOT_KEPT = ("page", "format")


def saved_views(user) -> QuerySet[SavedView]:
    """The user's saved views, by name."""
    return SavedView.objects.filter(company_id=user.company_id, user=user).order_by("name")


def saved_view_create(*, user, name: str, query: str) -> SavedView:
    """Save the list's `query` (a query string) as `name`. Raises `InvalidSavedView` for an
    empty, too long or taken name, a query the list refuses, or a user at `MAX_PER_USER`."""
    name, query = _name(name), _query(query)
    with transaction.atomic():
        mine = SavedView.objects.select_for_update().filter(user=user)
        if mine.count() >= MAX_PER_USER:
            raise InvalidSavedView(
                gettext("You have %(count)d saved views, the most there can be: delete one first.")
                % {"count": MAX_PER_USER}
            )
        return _saved(
            SavedView(
                company_id=user.company_id,
                user=user,
                name=name,
                query=query,
                created_at=timezone.now(),
            )
        )


def saved_view_rename(*, user, view_id, name: str) -> SavedView:
    """Give the user's view `view_id` a new name. Raises `SavedViewNotFound`, `InvalidSavedView`."""
    view = _mine(user, view_id)
    view.name = _name(name)
    return _saved(view)


def saved_view_delete(*, user, view_id) -> SavedView:
    """Delete the user's view `view_id`. Raises `SavedViewNotFound`."""
    view = _mine(user, view_id)
    view.delete()
    return view


def _mine(user, view_id) -> SavedView:
    view = saved_views(user).filter(pk=view_id).first()
    if view is None:
        raise SavedViewNotFound()
    return view


def _saved(view: SavedView) -> SavedView:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise InvalidSavedView(
            gettext("You already have a view named “%(name)s”.") % {"name": view.name}
        ) from None
    return view


def _name(name: str) -> str:
    try:
        name = clean_text(str(name or "")).strip()
    except InputError as error:
        raise InvalidSavedView(str(error)) from None
    if not name or len(name) > NAME_MAX:
        raise InvalidSavedView(
            gettext("Give the view a name of 1 to %(max)d characters.") % {"max": NAME_MAX}
        )
    return name


def _query(query: str) -> str:
    """The list's query string, kept only if the list's filter form takes it."""
    params = QueryDict(str(query or "")[:QUERY_MAX], mutable=True)
    kept = QueryDict(mutable=True)
    for key, values in params.lists():
        if key not in _NOT_KEPT:
            kept.setlist(key, [value for value in values if value.strip()])
    filterset = OrderFilter(kept, queryset=SavedView.objects.none())
    if not filterset.form.is_valid():
        raise InvalidSavedView(
            gettext("The list refuses these filters: correct them before saving the view.")
        )
    encoded = kept.urlencode()
    if len(encoded) > QUERY_MAX:
        raise InvalidSavedView(gettext("These filters are too long to save."))
    return encoded
