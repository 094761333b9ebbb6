"""No control character typed into a request is shown back (QA finding): a query string (or a
form field's name) holding one is refused before any view, and a form redrawn with its errors
shows its values without them (`FormRenderer`, settings.FORM_RENDERER)."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates

from .typed_input import text_problem, without_refused


class ControlCharacterInput(BadRequest):
    """A query or form value holds a control character; `str()` says which, fit to show."""


class RefuseControlCharactersMiddleware:
    """Refuse (400, `handler400`'s page or problem+json) a request whose query string (names
    and values) or form field names hold a control character other than tab and line breaks,
    or a lone surrogate (`typed_input.text_problem`, the rule of every text path into the log).
    A query is filters, search and page cursors: nothing is lost by refusing it whole, and no
    message, page or error can then echo a raw NUL back (QA finding), whatever the view.
    Posted form VALUES are left to their fields, which refuse such text with a message on the
    field (`typed_input._shown` never repeats the character) and keep the rest of what the
    person typed; uploaded files and JSON bodies get the same rule per value (the importer,
    the API's commands)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        texts = [text for key, values in request.GET.lists() for text in (key, *values)]
        if request.method == "POST":
            texts += request.POST.keys()
        for text in texts:
            problem = text_problem(text)
            if problem:
                raise ControlCharacterInput(problem)
        return self.get_response(request)


class ShownWithoutControlCharacters(BoundField):
    """A form field whose value, as a widget or a template shows it, has no control character:
    a posted value holding one is refused by its field (or its command) and the form redrawn
    with the error; the rest of what the person typed stays in the box."""

    def value(self):
        value = super().value()
        if isinstance(value, str):
            return without_refused(value)
        if isinstance(value, list | tuple):
            return [without_refused(v) if isinstance(v, str) else v for v in value]
        return value


class FormRenderer(DjangoTemplates):
    """Django's default renderer, with every form's fields shown without control characters
    (Django's project-wide hook for a BoundField class)."""

    bound_field_class = ShownWithoutControlCharacters
