"""What a person reads on a page, and which of it is still English (issue #29 item 2).

A page rendered for a German user may show data (customer names, SKUs, usernames, numbers) and
code (`manage.py …`), but no English words of its own. `english_on_page` finds two kinds of miss:

- a text that is exactly an English msgid of the German catalogue whose German differs, or a
  list of the catalogue's strings holding one ("Ops, Staff"): a string that is wrapped but was not
  translated where it is shown (stored, or made too early);
- a text holding an English word of the interface (ENGLISH_WORDS): a string nobody wrapped,
  which no catalogue knows about. The words are ones German does not use, so German text and
  German data never match them.

Skipped: <script>, <style>, <code>, <pre>, anything marked `lang="en"` (text that is English
on purpose, such as the API schema's descriptions) and `class="mono"` (numbers, SKUs).
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "de" / "LC_MESSAGES" / "django.po"

# Words of the English interface that are not German words (so "in", "an", "so", "was", "Team",
# "Status", "Details", "Filter", "Manager", "Version" are not here).
ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "is",
        "are",
        "for",
        "with",
        "your",
        "you",
        "not",
        "order",
        "orders",
        "save",
        "cancel",
        "submit",
        "approve",
        "reject",
        "delivered",
        "draft",
        "new",
        "edit",
        "show",
        "apply",
        "reset",
        "back",
        "out",
        "settings",
        "password",
        "change",
        "changed",
        "next",
        "previous",
        "page",
        "none",
        "never",
        "yes",
        "all",
        "add",
        "remove",
        "line",
        "lines",
        "customer",
        "state",
        "placed",
        "since",
        "this",
        "that",
        "from",
        "by",
        "at",
        "or",
        "on",
        "has",
        "have",
        "been",
        "can",
        "may",
        "must",
        "here",
        "there",
        "what",
        "when",
        "who",
        "which",
        "than",
        "more",
        "only",
        "first",
        "last",
        "days",
        "day",
        "hours",
        "minutes",
        "week",
        "month",
        "shipped",
        "cancelled",
        "approved",
        "submitted",
        "rejected",
        "held",
        "hold",
        "resume",
        "reopen",
        "note",
        "notes",
        "reason",
        "amount",
        "price",
        "quantity",
        "description",
        "history",
        "event",
        "events",
        "role",
        "user",
        "users",
        "key",
        "keys",
        "company",
        "companies",
        "dashboard",
        "report",
        "controls",
        "waiting",
        "stuck",
        "sent",
        "open",
        "close",
        "download",
        "export",
        "select",
        "ticked",
        "action",
        "actions",
        "create",
        "created",
        "sign",
        "login",
        "logout",
        "email",
        "address",
        "shipping",
        "tracking",
        "carrier",
        "nothing",
        "something",
        "please",
        "error",
        "errors",
        "found",
        "allowed",
        "required",
        "invalid",
        "enter",
        "choose",
        "pick",
        "number",
        "because",
        "every",
        "each",
        "would",
        "should",
        "could",
        "into",
        "before",
        "after",
        "them",
        "they",
        "their",
        "its",
        "it",
        "be",
        "were",
    ]
)
SKIPPED_TAGS = frozenset({"script", "style", "code", "pre"})
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-label")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})  # fmt: skip


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip: list[str] = []  # open tags whose content is not read

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._skip:
            if tag not in VOID:
                self._skip.append(tag)
            return
        skipped = (
            tag in SKIPPED_TAGS
            or (tag != "html" and (attrs.get("lang") or "").startswith("en"))
            or "mono" in (attrs.get("class") or "").split()
        )
        if skipped and tag not in VOID:
            self._skip.append(tag)
            return
        self.texts += [attrs[name] for name in READ_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if self._skip and tag in self._skip:
            while self._skip and self._skip.pop() != tag:
                pass

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    """The page's text nodes and read attributes (see the module docstring), stripped."""
    reader = _Reader()
    reader.feed(html)
    return reader.texts


@cache
def untranslated_msgids() -> frozenset[str]:
    """English msgids whose German differs (a page showing one has not translated it), less
    those that are also the German of another msgid ("Filter": "Filters" in German)."""
    found, german = set(), set()
    for message in _catalogue():
        german.update([message.string] if isinstance(message.string, str) else message.string)
        if not message.id or not isinstance(message.id, str) or "%" in message.id:
            continue
        if message.string and message.string != message.id and re.search("[A-Za-z]", message.id):
            found.add(message.id)
    return frozenset(found - german)


@cache
def interface_strings() -> frozenset[str]:
    """Every msgid of the German catalogue and its German: the interface's own strings."""
    strings = set()
    for message in _catalogue():
        for text in (message.id, message.string):
            strings.update([text] if isinstance(text, str) else text)
    return frozenset(strings - {""})


def _catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file)


def _untranslated_list(text: str) -> bool:
    """Whether `text` is a list of the interface's strings joined on the page ("Ops, Staff": a
    user's roles), one of them not translated. Prose with commas is left to the other checks
    (a help text naming the English role names to type is not a list of them)."""
    parts = {part.strip() for part in text.split(",")}
    return len(parts) > 1 and parts <= interface_strings() and bool(parts & untranslated_msgids())


def english_on_page(html: str, *, data: frozenset[str] = frozenset()) -> list[str]:
    """The texts of `html` that are English (see the module docstring); `data`: texts the test
    itself put on the page (names, notes) that are left alone."""
    misses = []
    for text in visible_texts(html):
        if text in data:
            continue
        prose = re.sub(r"\S*://\S*", " ", text)  # an address is data, whatever its words
        prose = re.sub(r"\S+\.(?:csv|md|py)\b", " ", prose)  # so is a file's name (ORDERS.csv)
        words = {word.lower() for word in re.findall(r"[A-Za-z]+", prose)}
        if text in untranslated_msgids() or _untranslated_list(text) or words & ENGLISH_WORDS:
            misses.append(text)
    return misses
