from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from . import commands, selectors
from .forms import PreferencesForm


@require_http_methods(["GET", "POST"])
def my_settings(request):
    """My settings: how the user hears about each kind of news (at once, daily digest, never)."""
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
        return render(request, "notifications/settings.html", {"form": form}, status=400)
    return render(request, "notifications/settings.html", {"form": form})
