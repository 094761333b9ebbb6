"""The dashboard's bar chart as inline SVG, built in Python.

Thirty days of two bars is a few hundred template variables; building the markup here costs a
fraction of that. Every value is a number or a date formatted here, so there is nothing to
escape but the id passed in (escaping ~400 numbers with `format_html` cost more than the rest of
the chart).
"""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def bar_chart(chart: dict, labelledby: str) -> SafeString:
    bars = "".join(
        f"<g><title>{bar.day:%a} {bar.day.day} {bar.day:%b}: {int(bar.placed)} placed, "
        f"{int(bar.delivered)} delivered</title>"
        f'<rect class="bar-placed" x="{float(bar.x)}" y="{float(bar.placed_y)}" '
        f'width="{float(bar.width)}" height="{float(bar.placed_height)}"></rect>'
        f'<rect class="bar-delivered" x="{float(bar.delivered_x)}" y="{float(bar.delivered_y)}" '
        f'width="{float(bar.width)}" height="{float(bar.delivered_height)}"></rect></g>'
        for bar in chart["bars"]
    )
    labels = "".join(
        f'<text x="{bar.x:.1f}" y="{int(chart["height"]) - 6}">{bar.day.day} {bar.day:%b}</text>'
        for index, bar in enumerate(chart["bars"])
        if index == 0 or (index + 1) % 7 == 0
    )
    width, height, baseline = chart["width"], chart["height"], chart["baseline"]
    return mark_safe(
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="{escape(labelledby)}" '
        f'data-testid="chart"><line class="axis" x1="{int(chart["pad"])}" y1="{baseline}" '
        f'x2="{width}" y2="{baseline}"></line><text x="0" y="10">{int(chart["peak"])}</text>'
        f'<text x="0" y="{baseline}">0</text>{bars}{labels}</svg>'
    )
