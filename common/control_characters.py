"""Requests whose query string (or a form field's name) holds control characters are refused
before any view: no page, message or error can then echo a raw NUL back (QA finding)."""

from __future__ import annotations

from django.core.exceptions import BadRequest

from .typed_input import text_problem


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
