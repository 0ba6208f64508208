"""The Jinja2 environment of the web pages: autoescape always on, whatever a template's name.

Archived text (headlines, bodies, URLs) reaches the pages only as escaped text; the one
exception is a change's stored ``diff_html``, built by ``archive.detect.diff`` with every piece of
article text escaped, which templates mark ``|safe``.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
templates = Jinja2Templates(env=environment)
