"""`tel:` links: phone numbers in a contact field become tappable on a phone."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Mainland mobiles (11 digits from 13–19), landlines with an area code (0519-8888 8888, 051988888888),
# optionally +86; spaces or hyphens between groups.
PHONE = re.compile(r"(?<![\d+])(?:\+?86[ -]?)?(?:1[3-9]\d(?:[ -]?\d{4}){2}|0\d{2,3}[ -]?\d{7,8})(?!\d)")


def tel_links(text: str | None) -> Markup:
    """The text, escaped, with every phone number in it wrapped in <a href="tel:...">."""
    if not text:
        return Markup("")
    out, last = [], 0
    for match in PHONE.finditer(text):
        out.append(escape(text[last:match.start()]))
        number = re.sub(r"[ -]", "", match.group(0))
        out.append(Markup('<a href="tel:{}" class="tel-link">{}</a>').format(number, match.group(0)))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
