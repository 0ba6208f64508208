"""A simulated Press TV on loopback, for the demo, the integration tests and benchmarks.

No machine here reaches the real outlet and tests must never touch real domains, so this
package imitates it: home, sections, RSS, sitemaps and article pages with the real URL
shapes and markup (PRESSTV.md), under the primary hostname and every mirror at once,
driven by scripted events (edits, retractions, outages, seizures, faults)::

    with SimulatedOutlet(seed=1, articles=30, today=date(2026, 11, 20)) as sim:
        sim.edit_headline(sim.sample_id, "New headline", declared=True)
        ...  # crawl sim.base_url("www.presstv.ir")

Standard library only; imports neither Scrapy nor Airflow.
"""

from archive.simulate.faults import RequestLog, ServedRequest
from archive.simulate.pages import NOISE_PATTERNS, strip_noise
from archive.simulate.server import DEFAULT_HOSTS, SimulatedOutlet
from archive.simulate.site import Article, Page, Photo, Site
from archive.simulate.timeline import Event, Timeline, TimelineError

__all__ = [
    "DEFAULT_HOSTS",
    "NOISE_PATTERNS",
    "Article",
    "Event",
    "Page",
    "Photo",
    "RequestLog",
    "ServedRequest",
    "SimulatedOutlet",
    "Site",
    "Timeline",
    "TimelineError",
    "strip_noise",
]
