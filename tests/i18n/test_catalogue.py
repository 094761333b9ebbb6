"""The German catalogue is complete: every message has a German text, none is fuzzy, and the
placeholders match (what `msgfmt --check-format`, run by `make setup`, also refuses)."""

import re
import subprocess

from babel.messages.pofile import read_po

from .visible_text import CATALOGUE

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]|\{(\w+)\}")


def messages():
    with CATALOGUE.open("rb") as file:
        return [message for message in read_po(file) if message.id]


def test_every_message_has_a_german_text_that_is_not_fuzzy():
    missing = [
        message.id
        for message in messages()
        if "fuzzy" in message.flags
        or not all(message.string if isinstance(message.string, tuple) else [message.string])
    ]

    assert missing == []
    assert len(messages()) > 800


def test_the_german_keeps_every_placeholder_of_the_english():
    def names(text: str) -> set[str]:
        return {a or b for a, b in PLACEHOLDER.findall(text)}

    wrong = []
    for message in messages():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if names(ids[-1]) != names(strings[-1]) or names(ids[0]) - {"count"} > names(strings[0]):
            wrong.append((message.id, message.string))

    assert wrong == []


def test_the_catalogue_compiles_with_format_checks(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(CATALOGUE)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
