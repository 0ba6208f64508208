"""Plain Scrapy fetching a list of pages: the floor the crawl benchmark compares edittrail's spider with.

No edittrail middleware, pipeline or parsing: each URL of the list is requested from the
simulated outlet on loopback (its host sent in the Host header, as the crawl's DNS override
would route it), with the concurrency the demo outlet's crawl uses, and the body is dropped.

    python -m bench.plain_scrapy URLS_FILE PORT CONCURRENCY_PER_DOMAIN
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.crawler import CrawlerProcess


class PlainSpider(scrapy.Spider):  # type: ignore[misc]  # Scrapy's classes are untyped
    name = "plain"

    def __init__(self, urls: list[str], port: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls, self.port, self.fetched = urls, port, 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            parts = urlsplit(url)
            local = urlunsplit(("http", f"127.0.0.1:{self.port}", parts.path, parts.query, ""))
            yield scrapy.Request(local, headers={"Host": parts.netloc}, dont_filter=True, meta={"host": parts.hostname})

    def parse(self, response: scrapy.http.Response) -> None:
        self.fetched += 1


def main() -> None:
    urls = Path(sys.argv[1]).read_text().split()
    port, per_domain = int(sys.argv[2]), int(sys.argv[3])
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "ERROR",
            "ROBOTSTXT_OBEY": False,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 16,
            # one loopback address serves every host: Scrapy's per-domain slot is the IP here,
            # so the per-domain concurrency of the edittrail crawl is given to it times the hosts
            "CONCURRENT_REQUESTS_PER_DOMAIN": per_domain * 4,
            "DOWNLOAD_DELAY": 0,
            "HTTPERROR_ALLOW_ALL": True,
            "REDIRECT_ENABLED": False,
        }
    )
    crawler = process.create_crawler(PlainSpider)
    process.crawl(crawler, urls=urls, port=port)
    process.start()
    print(crawler.spider.fetched)


if __name__ == "__main__":
    main()
