"""The client address behind reverse proxies: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

import pytest

from gateway.domain.client_address import client_address, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "192.168.1.5", "fd00::/8"])


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() -> None:
    assert client_address("203.0.113.7", "198.51.100.1", ()) == "203.0.113.7"
    assert client_address("10.0.0.2", "198.51.100.1", trusted_networks([])) == "10.0.0.2"


def test_a_request_not_from_a_trusted_proxy_cannot_choose_its_address() -> None:
    assert client_address("203.0.113.7", "10.1.1.1, 198.51.100.1", PROXIES) == "203.0.113.7"


def test_from_a_trusted_proxy_the_last_untrusted_hop_is_the_client() -> None:
    assert client_address("10.0.0.2", "198.51.100.1", PROXIES) == "198.51.100.1"
    # the client wrote a fake first hop; the load balancer (10.2.2.2) appended the real one
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.2.2.2", PROXIES) == "198.51.100.1"
    assert client_address("192.168.1.5", " 2001:db8::1 , fd00::3", PROXIES) == "2001:db8::1"


def test_a_chain_of_trusted_proxies_only_gives_the_first_hop_and_garbage_counts_as_the_proxy() -> None:
    assert client_address("10.0.0.2", "10.9.9.9, 10.0.0.3", PROXIES) == "10.9.9.9"
    assert client_address("10.0.0.2", "not-an-address", PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", "", PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", None, PROXIES) == "10.0.0.2"


def test_a_bad_setting_names_the_entry() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        trusted_networks(["10.0.0.0/8", "10.0.0.300"])
