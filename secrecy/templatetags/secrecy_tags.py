"""Template tags of the secrecy app.

``{% secrecy_mark %}`` (S8 — SECRETS-REGS §15): an HTML page about a classified object carries
its mark — level and period, e.g. 秘密★10年 — at the top. The base template calls it once, so
every page does: it looks in the page's context for the objects detail pages pass (call,
proposal, project, subject, task book, budget, version, review round, item, assignment…) and
shows the mark of the highest classification in force on them and on what they belong to."""

from __future__ import annotations

from django import template
from django.db.models import Model, QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.selectors import carrier_mark, need_to_know_paths

register = template.Library()

# The context names under which pages pass the object they are about (and its parents).
OBJECT_NAMES = (
    "call",
    "proposal",
    "project",
    "subject",
    "book",
    "task_book",
    "notice",
    "budget",
    "version",
    "left",
    "right",
    "adjustment",
    "account",
    "final_account",
    "balance",
    "round",
    "review_round",
    "item",
    "assignment",
)

# Lists of objects a page shows in full (a proposal's subjects, each maybe classified itself).
LIST_NAMES = ("subjects",)


def objects_in(context) -> list[Model]:
    """The model instances of ``context`` a mark may come from, each once."""
    classifiable = need_to_know_paths()
    found: dict[tuple[type, object], Model] = {}
    for name in OBJECT_NAMES:
        value = context.get(name)
        if isinstance(value, Model) and value.pk is not None and type(value) in classifiable:
            found.setdefault((type(value), value.pk), value)
    for name in LIST_NAMES:
        for value in _members(context.get(name)):
            if isinstance(value, Model) and value.pk is not None and type(value) in classifiable:
                found.setdefault((type(value), value.pk), value)
    return list(found.values())


def _members(value) -> list:
    # A queryset is evaluated once here and its rows reused by the page that lists them; other
    # iterables (a generator could be read only once) are left alone.
    return list(value) if isinstance(value, (list, tuple, QuerySet)) else []


@register.simple_tag(takes_context=True)
def secrecy_mark(context) -> str:
    """The S8 mark banner of the page, or nothing for a page of ordinary objects. One query when
    the page is about an object, none otherwise."""
    objects = objects_in(context)
    if not objects:
        return ""
    mark = carrier_mark(*objects)
    if not mark:
        return ""
    return format_html(
        '<div class="secrecy-mark" role="note" data-testid="secrecy-mark">'
        '<strong class="secrecy-mark-level">{}</strong> <span>{}</span></div>',
        mark,
        _(
            "State secret: known only to the people on its need-to-know list (SECRETS-LAW §16). "
            "Do not copy, forward or print it outside the rules."
        ),
    )
