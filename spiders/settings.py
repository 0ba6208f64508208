"""Scrapy project settings shared by every outlet; per-outlet values are set by the spider.

Names that edittrail adds start with ``EDITTRAIL_``. The crawl subprocess gets the host
overrides on its command line (the DNS resolver is built before any spider exists).
"""

BOT_NAME = "edittrail"
SPIDER_MODULES = ["spiders.outlet"]
NEWSPIDER_MODULE = "spiders"

# The real site has no robots.txt (404); we still ask, as a good citizen.
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

TWISTED_DNS_RESOLVER = "spiders.resolver.HostOverrideResolver"

DOWNLOADER_MIDDLEWARES = {
    # Closest to the network: sees bodies still compressed, redirects and 5xx before they are handled.
    "spiders.middlewares.WarcCaptureMiddleware": 950,
    # Just above RetryMiddleware (550): sees only failures that survived the retries.
    "spiders.failover.MirrorFailoverMiddleware": 540,
    # The scope guard: before anything is scheduled or connected (49), and after the DNS
    # resolver refused a name (960). See spiders/scope.py.
    "spiders.scope.ScopeMiddleware": 49,
    "spiders.scope.RefusedAddressMiddleware": 960,
}

# Owns the run report that the middlewares above and the spider record into. See spiders/report.py.
EXTENSIONS = {"spiders.report.RunReportExtension": 500}

RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
DOWNLOAD_FAIL_ON_DATALOSS = True
HTTPERROR_ALLOW_ALL = False
LOG_LEVEL = "INFO"

EDITTRAIL_WARC_ENABLED = True
EDITTRAIL_FAILOVER_ENABLED = True
