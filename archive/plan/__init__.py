"""The plan stage: what to fetch this run, on which hosts, and the job the crawl takes."""
