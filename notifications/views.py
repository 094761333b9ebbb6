from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import commands as account_commands
from accounts.exceptions import InvalidAccessChange
from accounts.forms import LocalePreferencesForm
from common.form_errors import apply_errors

from . import commands, selectors
from .forms import PreferencesForm


@require_http_methods(["GET", "POST"])
def my_settings(request):
    """My settings: how the user hears about each kind of news (at once, daily digest, never),
    and their language and time zone (`my_locale` saves those)."""
    form = PreferencesForm(
        request.POST or None,
        user=request.user,
        current=selectors.current_choices(request.user),
    )
    if request.method == "POST":
        if form.is_valid():
            commands.set_preferences(user=request.user, choices=form.cleaned_data)
            messages.success(request, _("Your notification settings were saved."))
            return redirect("notifications:settings")
        return _settings_page(request, form, _locale_form(request), 400)
    return _settings_page(request, form, _locale_form(request), 200)


@require_POST
def my_locale(request):
    """Save the user's language and time zone ("" = the browser's / the company's) through
    `accounts.commands.set_locale_preferences`; the next page is in them."""
    locale_form = _locale_form(request, request.POST)
    if locale_form.is_valid():
        try:
            account_commands.set_locale_preferences(user=request.user, **locale_form.cleaned_data)
        except InvalidAccessChange as error:
            apply_errors(locale_form, error.errors)
        else:
            messages.success(request, _("Your language and time zone were saved."))
            return redirect("notifications:settings")
    form = PreferencesForm(user=request.user, current=selectors.current_choices(request.user))
    return _settings_page(request, form, locale_form, 400)


def _locale_form(request, data=None) -> LocalePreferencesForm:
    user = request.user
    return LocalePreferencesForm(
        data,
        initial={"language": user.language, "time_zone": user.time_zone},
        company_zone=user.company.time_zone if user.company_id else "",
    )


def _settings_page(request, form, locale_form, status: int):
    context = {"form": form, "locale_form": locale_form}
    return render(request, "notifications/settings.html", context, status=status)
