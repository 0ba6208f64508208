from __future__ import annotations

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
