"""The "My settings" form: one choice per kind of notification the user is offered."""

from __future__ import annotations

from django import forms

from . import kinds


class PreferencesForm(forms.Form):
    """Built for one user: a radio group per offered kind, set to the current choice."""

    def __init__(self, *args, user, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in kinds.ALL:
            if not kinds.offered(kind, user):
                continue
            self.fields[kind.key] = forms.ChoiceField(
                label=kind.label,
                help_text=kind.help,
                choices=[(choice.value, choice.label) for choice in kind.choices],
                initial=current[kind.key],
                widget=forms.RadioSelect,
                disabled=len(kind.choices) == 1,
            )
