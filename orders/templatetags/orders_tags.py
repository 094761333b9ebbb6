import datetime as dt
import html
from decimal import Decimal

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import forms, template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.pages import url_for_each
from orders.models import OrderState

register = template.Library()

# Bootstrap colour class per state; cancelled uses our own muted, struck-through badge (app.css).
BADGE = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-info",
    "approved": "text-bg-primary",
    "in_fulfilment": "text-bg-warning",
    "shipped": "text-bg-dark",
    "delivered": "text-bg-success",
    "on_hold": "text-bg-danger",
    "cancelled": "badge-cancelled",
}
LABELS = dict(OrderState.choices)


@register.filter
def money(cents, currency: str = "") -> str:
    """Integer minor units -> '1,234.56 EUR'."""
    if cents is None:
        return ""
    cents = int(cents)
    units, minor = divmod(abs(cents), 100)  # integers: exact, and cheaper than Decimal
    sign = "-" if cents < 0 else ""
    return f"{sign}{units:,}.{minor:02d} {currency}".strip()


@register.filter
def amount(value) -> str:
    return f"{Decimal(value):,.2f}"


@register.filter
def line_total(line: dict) -> str:
    return f"{Decimal(line['unit_price']) * int(line['quantity']):,.2f}"


@register.simple_tag
def state_badge(state: str) -> str:
    """The coloured badge of a state (a simple tag: it renders once per row on the list)."""
    return BADGES.get(state) or _badge(state)


def _badge(state: str) -> SafeString:
    return format_html(
        '<span class="badge state-badge {}" data-state="{}">{}</span>',
        BADGE.get(state, "text-bg-secondary"),
        state,
        LABELS.get(state, state),
    )


BADGES = {state: _badge(state) for state in LABELS}  # the same few strings on every page


@register.filter
def since(moment) -> str:
    """How long ago, compactly: '3 d 4 h', '5 h 12 min', '40 min'."""
    if moment is None:
        return ""
    return duration(timezone.now() - moment)


@register.filter
def duration(delta) -> str:
    if delta is None:
        return ""
    days, rest = divmod(max(int(delta.total_seconds()), 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def local_formats(moment: dt.datetime, zone) -> tuple[str, str, str]:
    """`moment` in `zone` as the `date` filter would show it with 'c', 'Y-m-d H:i', 'Y-m-d'."""
    local = moment.astimezone(zone) if timezone.is_aware(moment) else moment
    day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    return local.isoformat(), f"{day} {local.hour:02d}:{local.minute:02d}", day


@register.simple_tag
def order_rows(rows) -> SafeString:
    """The order list's table rows, built in Python (as the dashboard chart is).

    Eleven template variables, three `date` filters and a `{% url %}` per row were most of the
    list page's cost. Every text is escaped (`html.escape` is what Django's `escape` calls,
    without its lazy-string wrapper, which costs more than the escaping); the rest are numbers,
    dates and ids formatted here. `rows` are the dicts of `selectors.order_summaries`.
    """
    zone, now = timezone.get_current_timezone(), timezone.now()
    detail_url = url_for_each("orders:detail")
    return mark_safe("\n".join(_order_row(row, detail_url(row["id"]), zone, now) for row in rows))


def _order_row(row: dict, url: str, zone, now: dt.datetime) -> str:
    esc = escape_text
    iso, minute, day = local_formats(row["placed_at"], zone)
    return (
        f'<tr><td><a href="{esc(url)}" class="mono">{esc(row["number"])}</a></td>'
        f'<td class="wrap">{esc(row["customer_name"])}</td>'
        f"<td>{state_badge(row['state'])}</td>"
        f'<td class="text-end">{int(row["line_count"])}</td>'
        f'<td class="text-end">{esc(money(row["total_cents"], row["currency"]))}</td>'
        f'<td><time datetime="{iso}" title="{minute}">{day}</time></td>'
        f"<td>{_month_day_time(row['last_changed_at'], zone)}<br>"
        f'<span class="small text-body-secondary">{esc(row["last_actor"])}</span></td>'
        f"<td>{duration(now - row['state_since'])}</td></tr>"
    )


@register.simple_tag
def timeline_entries(entries) -> SafeString:
    """The detail page's timeline items (`selectors.HistoryEntry`), built as `order_rows` is."""
    zone = timezone.get_current_timezone()
    esc = escape_text
    items = []
    for entry in entries:
        iso, minute, _ = local_formats(entry.occurred_at, zone)
        items.append(
            f'<li data-event-type="{esc(entry.event_type)}">'
            f'<div class="small text-body-secondary"><time datetime="{iso}">{minute}</time>'
            f' · <strong class="text-body" data-testid="actor">{esc(entry.actor)}</strong>'
            f" · #{int(entry.position)}</div><div>{esc(entry.summary)}</div></li>"
        )
    return mark_safe("\n".join(items))


def escape_text(value) -> str:
    """Django's `escape` without its lazy-string wrapper (which costs more than escaping)."""
    return html.escape(str(value))


def _month_day_time(moment: dt.datetime, zone) -> str:
    local = moment.astimezone(zone) if timezone.is_aware(moment) else moment
    return f"{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


# --- action forms ---------------------------------------------------------------------------
# The detail page shows up to five small forms (hidden version, a reason, carrier and tracking
# number, a note). `|crispy` renders each field through three templates and each widget
# through two more: ~1.5 ms per page. `form_fields` writes the same markup directly; a form it
# was not written for (another widget, help text, form-wide errors) still goes to crispy.
# tests/orders/test_templatetags.py checks both render the same HTML.
PLAIN_WIDGETS = (forms.HiddenInput, forms.TextInput, forms.Textarea)


@register.simple_tag
def form_fields(form) -> SafeString:
    """What `{{ form|crispy }}` renders (bootstrap5 pack) for forms of plain text fields."""
    if form.non_field_errors() or not all(_plain(field) for field in form):
        return as_crispy_form(form)
    return mark_safe("".join(_field(field) for field in form))


def _plain(field) -> bool:
    widget = field.field.widget
    return type(widget) in PLAIN_WIDGETS and not field.help_text and bool(field.label)


def _field(field) -> str:
    if field.is_hidden:
        return _widget(field, {})
    # Where crispy puts its classes: after the widget's own attributes, before Django's.
    name = type(field.field.widget).__name__.lower()
    css = f"{name} form-control is-invalid" if field.errors else f"{name} form-control"
    required = field.field.required
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label{}">{}{}</label>{}{}</div>',
        field.auto_id,
        field.id_for_label,
        " requiredField" if required else "",
        field.label,
        mark_safe('<span class="asteriskField">*</span>') if required else "",
        _widget(field, {"class": css}),
        _errors(field),
    )


def _widget(field, attrs: dict) -> SafeString:
    """The widget as Django's input.html / textarea.html templates write it."""
    widget = field.field.widget
    attrs = {**attrs, **field.build_widget_attrs({}, widget)}
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    flat = mark_safe(
        "".join(
            format_html(" {}", key) if value is True else format_html(' {}="{}"', key, value)
            for key, value in context["attrs"].items()
            if value is not False
        )
    )
    value = context["value"]
    if isinstance(widget, forms.Textarea):
        text = value or ""
        return format_html('<textarea name="{}"{}>\n{}</textarea>', context["name"], flat, text)
    if value is None:
        return format_html('<input type="{}" name="{}"{}>', context["type"], context["name"], flat)
    return format_html(
        '<input type="{}" name="{}" value="{}"{}>', context["type"], context["name"], value, flat
    )


def _errors(field) -> SafeString:
    if not field.errors:
        return mark_safe("")
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        field.auto_id,
        format_html_join(
            "",
            '<p id="error_{}_{}"><strong>{}</strong></p>',
            ((number, field.auto_id, error) for number, error in enumerate(field.errors, 1)),
        ),
    )


# --- the order list's filter form -----------------------------------------------------------
# Its repeated controls (8 states, 5 inputs, 15 sort options) were ~200 template variables and
# a BoundField.value() per sort option; each tag below reads each field's value once.
SHOWN_APART = {"state", "stuck", "sort", "page"}  # page is no input; the others have their own


def _input_attrs(name: str) -> str:
    if "placed" in name:
        return ' type="date"'
    if "total" in name:
        return ' type="number" step="0.01" min="0"'
    return ' type="search"'


@register.simple_tag
def state_checkboxes(form) -> SafeString:
    selected = form["state"].value() or ()
    return mark_safe(
        "\n".join(
            '<div class="form-check"><input class="form-check-input" type="checkbox" name="state" '
            f'value="{escape_text(value)}" id="id_state_{index}"'
            f"{' checked' if value in selected else ''}>"
            f'<label class="form-check-label" for="id_state_{index}">{escape_text(label)}</label>'
            "</div>"
            for index, (value, label) in enumerate(form.fields["state"].choices)
        )
    )


@register.simple_tag
def filter_inputs(form) -> SafeString:
    """The date, search and amount inputs, with what the user typed (valid or not)."""
    fields = [form[name] for name in form.fields if name not in SHOWN_APART]
    return mark_safe("\n".join(_filter_input(field) for field in fields))


def _filter_input(field) -> str:
    value = field.value()
    field_id = escape_text(field.id_for_label)
    return (
        f'<div class="mb-3"><label class="form-label" for="{field_id}">'
        f"{escape_text(field.label)}</label><input{_input_attrs(field.name)} "
        f'class="form-control" name="{escape_text(field.html_name)}" id="{field_id}" '
        f'value="{"" if value is None else escape_text(value)}"></div>'
    )


@register.simple_tag
def sort_options(form) -> SafeString:
    selected = form["sort"].value() or ()
    return mark_safe(
        "\n".join(
            f'<option value="{escape_text(value)}"{" selected" if value in selected else ""}>'
            f"{escape_text(label)}</option>"
            for value, label in form.fields["sort"].choices
        )
    )
