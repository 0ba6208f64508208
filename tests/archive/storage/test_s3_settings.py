"""From an Airflow connection's fields to S3 credentials, and settings that never show secrets."""

from __future__ import annotations

import pytest

from archive.errors import ConfigError, StoreError
from archive.storage.s3_settings import S3Credentials, S3Settings, credentials_from_connection, parse_s3_url


def test_login_and_password_are_the_keys_and_the_extras_say_token_region_and_endpoint():
    credentials = credentials_from_connection(
        "aws_archive",
        "AKIAEXAMPLE",
        "wJalrXUtnFEMI",
        {"aws_session_token": "FwoGZXIv", "region_name": "eu-central-1", "endpoint_url": "https://s3.example.com"},
    )
    assert credentials == S3Credentials(
        "AKIAEXAMPLE",  # access key id, secret access key, session token
        "wJalrXUtnFEMI",
        "FwoGZXIv",
        region="eu-central-1",
        endpoint_url="https://s3.example.com",
        source="Airflow connection 'aws_archive'",
    )


def test_keys_in_the_extras_are_accepted_and_empty_fields_count_as_absent():
    credentials = credentials_from_connection(
        "aws_default",
        "",
        None,
        {"aws_access_key_id": "AKIAEXTRA", "aws_secret_access_key": "s3cr3t", "region_name": ""},
    )
    assert (credentials.access_key_id, credentials.secret_access_key) == ("AKIAEXTRA", "s3cr3t")
    assert credentials.region is None and credentials.session_token is None


def test_a_connection_without_keys_leaves_them_to_the_standard_chain():
    credentials = credentials_from_connection("aws_default", None, None, {"region_name": "us-east-2"})
    settings = S3Settings().with_credentials(credentials)
    assert settings.access_key_id is None and settings.secret_access_key is None and settings.region == "us-east-2"


def test_half_a_key_pair_names_the_connection_but_not_the_secret():
    with pytest.raises(ConfigError, match="Airflow connection 'aws_archive': give both") as caught:
        credentials_from_connection("aws_archive", None, "s3cr3t-value", {})
    assert "s3cr3t-value" not in str(caught.value)


def test_secrets_never_show_in_repr():
    credentials = credentials_from_connection("c", "AKIAEXAMPLE", "s3cr3t", {"aws_session_token": "t0ken"})
    shown = repr(credentials) + repr(S3Settings().with_credentials(credentials))
    assert not any(secret in shown for secret in ("AKIAEXAMPLE", "s3cr3t", "t0ken"))


def test_no_credentials_leave_the_settings_unchanged():
    settings = S3Settings(region="eu-west-1")
    assert settings.with_credentials(None) is settings


def test_bad_settings_and_urls_say_what_to_fix():
    with pytest.raises(ConfigError, match="more than 0 seconds"):
        S3Settings(read_timeout=0)
    with pytest.raises(ConfigError, match='use "auto", "path" or "virtual"'):
        S3Settings(addressing_style="sideways")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="does not start with s3://"):
        parse_s3_url("gs://bucket/x")
