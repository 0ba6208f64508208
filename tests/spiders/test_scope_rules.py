"""The scope guard's rules: which URLs and DNS answers the crawler refuses, and why."""

from __future__ import annotations

import pytest

from archive.config.outlet import origin
from spiders import settings
from spiders.failover import MirrorFailoverMiddleware
from spiders.report import RunReport
from spiders.resolver import HostOverrideResolver, RefusedAddressError, address_problem
from spiders.scope import MIDDLEWARES, origins, refusal

HOSTS = ("www.presstv.ir", "presstv.tv")
ALLOWED = origins(f"http://{host}:8765" for host in HOSTS)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("169.254.169.254", "a link-local address"),
        ("127.0.0.1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 (a test value, nothing binds to it)
        ("::1", "a loopback address"),
        ("[fe80::1]", "a link-local address"),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("100.64.0.1", "not a global address"),
    ],
)
def test_non_global_addresses_are_named(host, problem):
    assert address_problem(host) == problem


@pytest.mark.parametrize("host", ["93.184.215.14", "2606:4700::1111", "www.presstv.ir", "localhost"])
def test_global_addresses_and_names_pass_the_address_check(host):
    assert address_problem(host) is None


def test_an_outlet_url_is_in_scope():
    assert refusal("http://presstv.tv:8765/Detail/2024/1/1/1", ALLOWED) is None
    assert refusal("HTTP://PRESSTV.TV:8765/Detail/2024/1/1/1", ALLOWED) is None


def test_a_private_ip_literal_is_refused_even_when_listed_as_a_host():
    allowed = ALLOWED | origins(["http://169.254.169.254"])
    assert refusal("http://169.254.169.254/latest/meta-data/", allowed) == (
        "refused_address",
        "169.254.169.254 is a link-local address: never fetched",
    )


@pytest.mark.parametrize(
    "url", ["http://www.example.org/x", "http://cdn.www.presstv.ir/a.jpg", "http://93.184.215.14/", "javascript:x"]
)
def test_other_hosts_subdomains_and_global_addresses_are_offsite(url):
    kind, _ = refusal(url, ALLOWED) or ("", "")
    assert kind == "offsite"


@pytest.mark.parametrize(
    "url",
    [
        "http://www.presstv.ir:18767/same-host-other-port",  # with host_overrides: any local service
        "https://www.presstv.ir:8765/https-on-the-http-port",
        "https://www.presstv.ir/Detail/2024/1/1/1",  # the default port of another scheme
        "http://www.presstv.ir/Detail/2024/1/1/1",
        "ftp://www.presstv.ir:8765/Detail/2024/1/1/1",
        "file:///etc/passwd",
    ],
)
def test_an_outlet_host_on_another_port_or_scheme_is_offsite(url):
    kind, detail = refusal(url, ALLOWED) or ("", "")
    assert kind == "offsite"
    assert "not followed" in detail


@pytest.mark.parametrize(
    "url", ["http://www.presstv.ir:99999/x", "http://www.presstv.ir:port/x", "http://[::1", "http:///nohost", ""]
)
def test_a_url_without_a_valid_origin_is_refused_not_raised(url):
    kind, _ = refusal(url, ALLOWED) or ("", "")
    assert kind in {"offsite", "refused_address"}


def test_an_origin_fills_in_the_default_port_of_its_scheme():
    assert origin("https://www.presstv.ir/x") == ("https", "www.presstv.ir", 443)
    assert origin("http://WWW.presstv.ir:80/x") == ("http", "www.presstv.ir", 80)
    assert origin("ftp://www.presstv.ir/x") is None


def test_a_failure_off_the_configured_origin_never_marks_the_domain_dead():
    from scrapy import Request
    from twisted.internet.error import ConnectionRefusedError

    report = RunReport()
    failover = MirrorFailoverMiddleware(HOSTS, report, ALLOWED)
    failover.process_exception(Request("https://www.presstv.ir:18767/x"), ConnectionRefusedError())
    assert failover.dead == {} and report.dead == {}
    failover.process_exception(Request("http://www.presstv.ir:8765/x"), ConnectionRefusedError())
    assert set(failover.dead) == set(report.dead) == {"www.presstv.ir"}
    assert report.dead["www.presstv.ir"].state == "unreachable"


def resolver(overrides: dict[str, str]) -> HostOverrideResolver:
    made = HostOverrideResolver.__new__(HostOverrideResolver)  # no reactor needed for the answer check
    made.overrides, made.refused = overrides, {}
    return made


def test_a_name_answered_with_a_private_address_is_refused_and_remembered():
    checking = resolver({})
    with pytest.raises(RefusedAddressError, match=r"mirror\.example resolves to 10\.0\.0\.7, a private address"):
        checking._refuse_non_global("10.0.0.7", "mirror.example")
    assert "EDITTRAIL_HOST_OVERRIDES" in checking.refused["mirror.example"]
    assert checking._refuse_non_global("93.184.215.14", "www.example.org") == "93.184.215.14"


def test_an_overridden_name_gets_its_loopback_address_without_a_lookup():
    answer = resolver({"www.presstv.ir": "127.0.0.1"}).getHostByName("WWW.PRESSTV.IR")
    assert answer.result == "127.0.0.1"


def test_the_project_settings_register_the_scope_guard():
    assert MIDDLEWARES.items() <= settings.DOWNLOADER_MIDDLEWARES.items()
