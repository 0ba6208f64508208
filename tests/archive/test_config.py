from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive.config import S3Options, load_config, parse_size
from archive.errors import ConfigError
from archive.storage.s3_settings import S3Credentials, S3Settings

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[outlets.x]
primary = "www.example.com"
mirrors = ["example.net"]
article_pattern = '^/a/(?P<id>\\d+)'
store = "file://store"
"""


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "outlets.toml"
    path.write_text(text)
    return load_config(path)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    return str(info.value)


def test_shipped_config_has_presstv_and_demo_with_the_real_domains():
    config = load_config(ROOT / "outlets.toml")
    for name in ("presstv", "demo"):
        outlet = config.outlet(name)
        assert outlet.primary == "www.presstv.ir"
        assert {"www.presstv.co.uk", "presstv.tv", "www.presstv.com"} <= set(outlet.mirrors)
    assert config.outlet("presstv").host_overrides == {}
    assert set(config.outlet("demo").host_overrides.values()) == {"127.0.0.1"}


def test_minimal_outlet_gets_defaults_and_paths_relative_to_the_file(tmp_path):
    config = load_text(tmp_path, GOOD)
    outlet = config.outlet("x")
    assert outlet.domains == ("www.example.com", "example.net")
    assert outlet.politeness.download_delay == 1.0
    assert config.index_path == tmp_path / "data" / "index.sqlite"
    assert len(config.digest) == 64


def test_missing_file_names_the_path_and_the_env_var(tmp_path):
    with pytest.raises(ConfigError, match=r"config file not found.*EDITTRAIL_CONFIG"):
        load_config(tmp_path / "nope.toml")


def test_toml_syntax_error_names_the_file(tmp_path):
    message = error_of(tmp_path, "[outlets.x\nprimary=1")
    assert "outlets.toml" in message and "not valid TOML" in message


def test_missing_key_names_it(tmp_path):
    message = error_of(tmp_path, GOOD.replace('store = "file://store"', ""))
    assert "outlets.x.store: is required but missing; add it" in message


def test_unknown_key_is_rejected_with_spelling_hint(tmp_path):
    message = error_of(tmp_path, GOOD + 'primery = "a.com"\n')
    assert "outlets.x.primery: is not a known key" in message


def test_host_with_scheme_is_rejected(tmp_path):
    message = error_of(tmp_path, GOOD.replace('"www.example.com"', '"https://www.example.com"'))
    assert "outlets.x.primary" in message and "bare host name" in message


def test_pattern_without_id_group(tmp_path):
    message = error_of(tmp_path, GOOD.replace("(?P<id>\\d+)", "(\\d+)"))
    assert "outlets.x.article_pattern" in message and "(?P<id>" in message


def test_invalid_regex(tmp_path):
    message = error_of(tmp_path, GOOD.replace("(?P<id>\\d+)", "(?P<id>\\d+"))
    assert "not a valid regular expression" in message


def test_bad_cron(tmp_path):
    message = error_of(tmp_path, GOOD + 'schedule = "every hour"\n')
    assert "outlets.x.schedule" in message and "cron" in message


def test_bad_store_scheme(tmp_path):
    message = error_of(tmp_path, GOOD.replace("file://store", "ftp://x"))
    assert "outlets.x.store" in message and "file://" in message


def test_duplicate_domain(tmp_path):
    message = error_of(tmp_path, GOOD.replace('["example.net"]', '["www.example.com"]'))
    assert "listed twice" in message


def test_override_for_foreign_host(tmp_path):
    message = error_of(tmp_path, GOOD + '[outlets.x.host_overrides]\n"evil.com" = "127.0.0.1"\n')
    assert "not one of this outlet's domains" in message


def test_override_must_be_an_ipv4_address(tmp_path):
    message = error_of(tmp_path, GOOD + '[outlets.x.host_overrides]\n"example.net" = "localhost"\n')
    assert "IPv4 address" in message


def test_bad_outlet_name(tmp_path):
    message = error_of(tmp_path, GOOD.replace("[outlets.x]", "[outlets.Bad-Name]"))
    assert "lower-case letters" in message


def test_negative_delay_names_nested_key(tmp_path):
    message = error_of(tmp_path, GOOD + "[outlets.x.politeness]\ndownload_delay = -1\n")
    assert "outlets.x.politeness.download_delay" in message


def test_seed_must_be_a_path(tmp_path):
    message = error_of(tmp_path, GOOD + '[outlets.x.seeds]\nrss = ["http://www.example.com/rss"]\n')
    assert "outlets.x.seeds.rss" in message and "starting with '/'" in message


def test_no_outlets(tmp_path):
    assert "no [outlets.NAME] table" in error_of(tmp_path, "[settings]\n")


def test_unknown_top_level_key(tmp_path):
    assert "unknown top-level key 'outlet'" in error_of(tmp_path, GOOD + "[outlet]\n")


def test_unknown_outlet_lists_known_ones(tmp_path):
    config = load_text(tmp_path, GOOD)
    with pytest.raises(ConfigError, match=r"no outlet named 'y' \(known: x\)"):
        config.outlet("y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1GB", 10**9), ("512MiB", 512 * 2**20), ("10 kb", 10_000), ("123", 123), (4096, 4096)],
)
def test_sizes(text, expected):
    assert parse_size(text) == expected


def test_bad_size(tmp_path):
    message = error_of(tmp_path, GOOD + '[outlets.x.crawl]\nwarc_max_size = "huge"\n')
    assert "outlets.x.crawl.warc_max_size" in message and "not a size" in message


S3_GOOD = GOOD.replace('store = "file://store"', 'store = "s3://edittrail-archive/warcs-prefix"')


def test_an_s3_store_without_an_s3_table_gets_the_default_settings_and_aws_default(tmp_path):
    outlet = load_text(tmp_path, S3_GOOD).outlet("x")
    assert outlet.s3 is None
    assert outlet.s3_settings() == S3Settings() == S3Options().settings()  # the defaults cannot drift apart
    assert outlet.aws_conn_id == "aws_default"


def test_a_file_store_has_no_s3_settings_and_no_connection(tmp_path):
    outlet = load_text(tmp_path, GOOD).outlet("x")
    assert outlet.s3_settings() is None and outlet.aws_conn_id is None


def test_the_s3_table_sets_every_store_setting(tmp_path):
    text = S3_GOOD + (
        "[outlets.x.s3]\n"
        'endpoint_url = "http://127.0.0.1:9000"\n'
        'region = "eu-central-1"\n'
        'addressing_style = "path"\n'
        'checksums = "none"\n'
        "conditional_writes = false\n"
        "connect_timeout = 3\n"
        "read_timeout = 7.5\n"
        "max_attempts = 6\n"
        'multipart_threshold = "100MB"\n'
        'part_size = "32MiB"\n'
        "max_concurrency = 8\n"
        'aws_conn_id = "minio_archive"\n'
    )
    outlet = load_text(tmp_path, text).outlet("x")
    assert outlet.s3_settings() == S3Settings(
        endpoint_url="http://127.0.0.1:9000",
        region="eu-central-1",
        addressing_style="path",
        checksums="none",
        conditional_writes=False,
        connect_timeout=3,
        read_timeout=7.5,
        max_attempts=6,
        multipart_threshold=100 * 10**6,
        part_size=32 * 2**20,
        max_concurrency=8,
    )
    assert outlet.aws_conn_id == "minio_archive"


def test_connection_credentials_fill_in_keys_and_only_what_the_config_leaves_unset(tmp_path):
    outlet = load_text(tmp_path, S3_GOOD + '[outlets.x.s3]\nregion = "eu-central-1"\n').outlet("x")
    credentials = S3Credentials("AKIAEXAMPLE", "secret", "token", region="us-west-2", endpoint_url="https://s3.x.io")
    settings = outlet.s3_settings(credentials)
    assert settings is not None
    assert (settings.access_key_id, settings.secret_access_key, settings.session_token) == (
        "AKIAEXAMPLE",
        "secret",
        "token",
    )
    assert settings.region == "eu-central-1" and settings.endpoint_url == "https://s3.x.io"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('addressing_style = "sideways"', "outlets.x.s3.addressing_style: Input should be 'auto', 'path' or 'virtual'"),
        ('checksums = "md5"', "outlets.x.s3.checksums: Input should be 'sha256' or 'none'"),
        ('endpoint_url = "minio.local:9000"', "outlets.x.s3.endpoint_url: 'minio.local:9000' is not an endpoint URL"),
        ("read_timeout = 0", "outlets.x.s3.read_timeout: Input should be greater than 0"),
        ("max_attempts = 0", "outlets.x.s3.max_attempts: Input should be greater than or equal to 1"),
        ('part_size = "4MiB"', "outlets.x.s3.part_size: '4MiB': S3 parts are 5MiB to 5GiB; write e.g. '16MiB'"),
        ('multipart_threshold = "6GiB"', "outlets.x.s3.multipart_threshold: '6GiB': S3 parts are 5MiB to 5GiB"),
        ('part_size = "lots"', "outlets.x.s3.part_size: 'lots' is not a size"),
        ("max_concurrency = 0", "outlets.x.s3.max_concurrency: Input should be greater than or equal to 1"),
        ('part_size = "1GiB"\nmax_concurrency = 4', "outlets.x.s3: part_size x max_concurrency is 4096MiB of memory"),
        ('aws_conn_id = "my conn"', "outlets.x.s3.aws_conn_id: 'my conn' is not an Airflow connection id"),
        ('regoin = "eu-west-1"', "outlets.x.s3.regoin: is not a known key"),
        ('secret_access_key = "hunter2"', "outlets.x.s3: 'secret_access_key': credentials do not belong in"),
    ],
)
def test_bad_s3_settings_name_the_file_the_key_and_the_fix(tmp_path, line, expected):
    message = error_of(tmp_path, S3_GOOD + f"[outlets.x.s3]\n{line}\n")
    assert f"{tmp_path / 'outlets.toml'}: {expected}" in message
    assert "hunter2" not in message


def test_an_s3_table_for_a_file_store_is_refused(tmp_path):
    message = error_of(tmp_path, GOOD + '[outlets.x.s3]\nregion = "eu-west-1"\n')
    assert "outlets.x: an [outlets.x.s3] table is only for an s3:// store" in message


@pytest.mark.parametrize("bucket", ["My_Bucket", "ab", "a..b", "192.168.1.1", "-bucket"])
def test_an_invalid_bucket_name_is_refused_at_load(tmp_path, bucket):
    message = error_of(tmp_path, GOOD.replace("file://store", f"s3://{bucket}/prefix"))
    assert f"{tmp_path / 'outlets.toml'}: outlets.x.store:" in message
    assert f"bucket name {bucket!r} is not valid" in message and "s3://<bucket>[/<prefix>]" in message


CRAWL = GOOD + "[outlets.x.crawl]\n"
REVISIT = GOOD + "[outlets.x.revisit]\n"
S3_TABLE = S3_GOOD + "[outlets.x.s3]\n"


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [  # each of these was a TypeError traceback from inside a validator
        (GOOD.replace('"www.example.com"', "5"), "outlets.x.primary", "not an integer"),
        (CRAWL + "max_page_size = 1.5", "outlets.x.crawl.max_page_size", "not a float"),
        (CRAWL + "max_page_size = [1]", "outlets.x.crawl.max_page_size", "not an array"),
        (REVISIT + "offsets = 5", "outlets.x.revisit.offsets", "not an integer"),
        (REVISIT + "offsets = [1.5]", "outlets.x.revisit.offsets", "not a float"),
        (REVISIT + "then_every = 1.5", "outlets.x.revisit.then_every", "not a float"),
        (GOOD + "divergence_window = 2.5", "outlets.x.divergence_window", "not a float"),
        (GOOD + 'divergence_window = ["6h"]', "outlets.x.divergence_window", "not an array"),
        (S3_TABLE + "part_size = 5.5", "outlets.x.s3.part_size", "not a float"),
        (GOOD + "divergence_window = 1979-05-27", "outlets.x.divergence_window", "not a date/time"),
        (GOOD.replace('["example.net"]', "5"), "outlets.x.mirrors", "not an integer"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_config_error_naming_file_key_and_type(tmp_path, text, key, expected):
    message = error_of(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'outlets.toml'}: {key}: ")
    assert expected in message


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('port = "18765"', "port"),
        ('fetch_media = "yes"', "fetch_media"),
        ("fetch_media = 1", "fetch_media"),
        ("[outlets.x.crawl]\nmax_articles = true", "crawl.max_articles"),
        ("[outlets.x.crawl]\nretries = 1.0", "crawl.retries"),
        ('[outlets.x.politeness]\ndownload_delay = "1"', "politeness.download_delay"),
        ("[outlets.x.politeness]\nautothrottle = 0", "politeness.autothrottle"),
    ],
)
def test_numbers_and_booleans_must_have_their_toml_type_not_be_coerced(tmp_path, line, key):
    message = error_of(tmp_path, GOOD + line + "\n")
    assert f"outlets.x.{key}: Input should be a valid" in message and "; write " in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('max_page_size = "0"', "'0' is less than 1kB"),  # Scrapy reads 0 as no limit
        ('max_page_size = "0MB"', "'0MB' is less than 1kB"),
        ("max_page_size = 0", "0 is less than 1kB"),
        ("max_page_size = true", "not a boolean"),  # was 1 byte
        ("max_page_size = 10000000000000000000000", "is more than 4GiB"),
        ('max_page_size = "5GiB"', "is more than 4GiB"),
        ('warc_max_size = "0"', "'0' is less than 100kB"),  # passed, then every crawl died
        ('warc_max_size = "0.1"', "'0.1' is less than 100kB"),
        ("warc_max_size = 10000000000000000000000", "is more than 1TiB"),
        ('warc_max_size = "99999999999999999999999999TB"', "is not a size"),
        ("max_articles = 10000000000000000000000", "less than or equal to 1000000"),
        ("max_articles = 0", "greater than or equal to 1"),
    ],
)
def test_sizes_and_counts_are_bounded(tmp_path, line, expected):
    message = error_of(tmp_path, CRAWL + line + "\n")
    assert f"outlets.x.crawl.{line.split()[0]}: " in message and expected in message


def test_the_integer_and_string_forms_of_a_size_agree():
    for text, number in [("4096", 4096), ("1kB", 1000), ("1KiB", 1024), ("1.5MB", 1_500_000), ("0", 0)]:
        assert parse_size(text, minimum=0) == parse_size(number, minimum=0) == number
    for bad in ("0", 0, "0MB", "0.1"):
        with pytest.raises(ValueError, match="is less than"):
            parse_size(bad)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (REVISIT + 'offsets = ["1s", 99999999999999999999999]', "revisit.offsets", "is more than 3650d"),
        (REVISIT + 'offsets = ["3651d"]', "revisit.offsets", "is more than 3650d"),
        (REVISIT + "then_every = 10000000000000000000000", "revisit.then_every", "is more than 3650d"),
        (REVISIT + 'then_every = "0s"', "revisit.then_every", "is less than 1s"),
        (REVISIT + "max_per_run = 10000000000000000000000", "revisit.max_per_run", "less than or equal to 1000000"),
        (GOOD + 'divergence_window = "999999w"', "divergence_window", "is more than 3650d"),
        (GOOD + "divergence_window = -1", "divergence_window", "is less than 1s"),
        (GOOD + "divergence_window = true", "divergence_window", "not a boolean"),
    ],
)
def test_durations_are_bounded(tmp_path, text, key, expected):
    message = error_of(tmp_path, text + "\n")
    assert f"outlets.x.{key}: " in message and expected in message


def test_the_longest_durations_load(tmp_path):
    outlet = load_text(tmp_path, REVISIT + 'offsets = ["15m", "3650d"]\nthen_every = "3650d"\n').outlet("x")
    assert outlet.revisit.offsets == (900, 3650 * 86400) and outlet.revisit.then_every == 3650 * 86400


@pytest.mark.parametrize(
    "schedule",
    ["0 0 * * * 0", "0 0 * * * 0 2030", "0 0 * *", "@daily", "@hourly", "0 0 31 2 *", "0 0 30 2 *", "61 * * * *"],
)
def test_a_schedule_is_exactly_five_cron_fields_that_fire(tmp_path, schedule):
    message = error_of(tmp_path, GOOD + f'schedule = "{schedule}"\n')
    assert "outlets.x.schedule: " in message and ("five-field" in message or "never fires" in message)


@pytest.mark.parametrize("schedule", ["*/30 * * * *", "0 0 29 2 *", "17 4 * * mon-fri", "0 0 L * *"])
def test_five_field_schedules_load(tmp_path, schedule):
    assert load_text(tmp_path, GOOD + f'schedule = "{schedule}"\n').outlet("x").schedule == schedule


@pytest.mark.parametrize("address", ["١٢٧.0.0.1", "127.000.0.1", "127.0.0.256", "::1", "127.0.0.1 ", ""])
def test_an_override_address_must_be_a_plain_ipv4_address(tmp_path, address):
    message = error_of(tmp_path, GOOD + f'[outlets.x.host_overrides]\n"example.net" = "{address}"\n')
    assert "outlets.x.host_overrides: " in message and "IPv4 address" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("(?P<id>\\d+)", "(?P<id>a{99999999999})"), "not a valid regular expression"),  # OverflowError
        (GOOD.replace("(?P<id>\\d+)", "(" * 2000 + "(?P<id>x)" + ")" * 2000), "not a valid regular expression"),
        (GOOD + '[outlets.x.seeds]\nsections = ["/a b"]', "outlets.x.seeds.sections"),
        (GOOD + '[outlets.x.politeness]\nuser_agent = "a\\r\\nX-Injected: 1"', "outlets.x.politeness.user_agent"),
        (GOOD + 'extractor = "../evil"', "outlets.x.extractor"),
        (GOOD + '[settings]\ndata_dir = "a\\u0000b"', "settings.data_dir"),
        (S3_TABLE + 'endpoint_url = "http://[::1"', "outlets.x.s3.endpoint_url"),
        (S3_TABLE + 'endpoint_url = "http://s3.example.com:99999"', "outlets.x.s3.endpoint_url"),
        (S3_TABLE + 'region = "eu west"', "outlets.x.s3.region"),
    ],
)
def test_strings_that_would_fail_later_are_refused_at_load(tmp_path, text, expected):
    assert expected in error_of(tmp_path, text + "\n")


def test_a_key_with_a_line_break_is_quoted_so_the_error_stays_one_line(tmp_path):
    message = error_of(tmp_path, GOOD + '"a\\u2028b" = 1\n')
    assert message.count("\n") == 0 and "outlets.x.'a\\u2028b': is not a known key" in message


@pytest.mark.parametrize("make", ["directory", "huge", "nul"])
def test_a_config_path_that_is_no_readable_file_is_a_config_error(tmp_path, make):
    path = {"directory": tmp_path, "huge": tmp_path / "huge.toml", "nul": tmp_path / "a\x00b"}[make]
    if make == "huge":
        path.write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
    with pytest.raises(ConfigError, match=r"is a directory|larger than 1MiB|cannot read the config file") as info:
        load_config(path)
    assert str(info.value).startswith(str(path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_config_file_is_a_config_error(tmp_path):
    path = tmp_path / "outlets.toml"
    path.write_text(GOOD)
    path.chmod(0)
    with pytest.raises(ConfigError, match="no permission to read the config file"):
        load_config(path)
