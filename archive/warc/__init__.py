"""WARC files, the archive's source of truth: written while crawling, read to index.

`WarcWriter` turns HTTP exchanges into rotating `.warc.gz` files, one gzip member per
record (a `revisit` record instead of the response when `RevisitOf` names an earlier
capture with the same `payload_digest`); `iter_records` streams a file's records, and
`scan_records` the damage it meets besides, for the indexer; `load_record` opens one
record from a range read; `recover_open_file` repairs what a killed crawler left, and
`recover_spool` finds what no live crawler holds. `WarcName` builds and reads the files'
names and their store keys.
"""

from archive.warc.errors import WarcNothingToRecoverError, WarcReadError, WarcTruncatedError
from archive.warc.exchange import HttpRequestData, HttpResponseData, WrittenExchange
from archive.warc.names import WARC_GLOB, WarcName, WarcNameError, crawl_batch, is_closed, store_prefix
from archive.warc.previous import PreviousCaptures
from archive.warc.reader import (
    LoadedRecord,
    WarcRecordInfo,
    iter_records,
    load_record,
    recover_open_file,
    scan_records,
)
from archive.warc.records import (
    ORIG_TRANSFER_ENCODING,
    REVISIT_PROFILE,
    WARC_VERSION,
    RevisitOf,
    payload_digest,
)
from archive.warc.recovery import SpoolRecovery, recover_spool
from archive.warc.writer import WarcWriter

__all__ = [
    "ORIG_TRANSFER_ENCODING",
    "REVISIT_PROFILE",
    "WARC_GLOB",
    "WARC_VERSION",
    "HttpRequestData",
    "HttpResponseData",
    "LoadedRecord",
    "PreviousCaptures",
    "RevisitOf",
    "SpoolRecovery",
    "WarcName",
    "WarcNameError",
    "WarcNothingToRecoverError",
    "WarcReadError",
    "WarcRecordInfo",
    "WarcTruncatedError",
    "WarcWriter",
    "WrittenExchange",
    "crawl_batch",
    "is_closed",
    "iter_records",
    "load_record",
    "payload_digest",
    "recover_open_file",
    "recover_spool",
    "scan_records",
    "store_prefix",
]
