import string
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from documents.domain.links import (
    LinkExpired,
    LinkKey,
    LinkKeyring,
    LinkRefused,
    expiry_of,
    sign_link,
    verify_link,
)

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
K1 = LinkKey("k1", b"first-secret-0123456789")
K2 = LinkKey("k2", b"second-secret-0123456789")


def ring(*keys: LinkKey, active: str = "k1", grace: timedelta = timedelta()) -> LinkKeyring:
    return LinkKeyring({k.key_id: k for k in keys}, active, grace)


def test_a_link_is_valid_one_second_before_expiry_and_expired_one_second_after():
    doc = uuid4()
    expires = expiry_of(NOW, timedelta(hours=24))
    token = sign_link(doc, expires, ring(K1))
    assert verify_link(token, ring(K1), expires - timedelta(seconds=1)).document_id == doc
    with pytest.raises(LinkExpired) as err:
        verify_link(token, ring(K1), expires + timedelta(seconds=1))
    assert err.value.document_id == doc
    with pytest.raises(LinkExpired):
        verify_link(token, ring(K1), expires)


def test_every_single_character_change_is_refused():
    token = sign_link(uuid4(), NOW + timedelta(hours=1), ring(K1))
    alphabet = string.ascii_letters + string.digits + "-_=.~!%+/"
    changed = 0
    for i, original in enumerate(token):
        for c in alphabet:
            if c == original:
                continue
            with pytest.raises(LinkRefused):
                verify_link(token[:i] + c + token[i + 1 :], ring(K1), NOW)
            changed += 1
    assert changed == len(token) * (len(alphabet) - 1)
    # dropping or adding one character is refused too
    for i in range(len(token)):
        with pytest.raises(LinkRefused):
            verify_link(token[:i] + token[i + 1 :], ring(K1), NOW)
    with pytest.raises(LinkRefused):
        verify_link(token + "A", ring(K1), NOW)


def test_a_link_signed_with_another_secret_or_an_unknown_key_is_refused():
    token = sign_link(uuid4(), NOW + timedelta(hours=1), ring(K1))
    with pytest.raises(LinkRefused):
        verify_link(token, ring(LinkKey("k1", b"not-the-same-secret-at-all")), NOW)
    with pytest.raises(LinkRefused):
        verify_link(token, ring(K2, active="k2"), NOW)
    with pytest.raises(LinkRefused):
        verify_link("", ring(K1), NOW)


def test_rotation_new_links_use_the_active_key_and_old_ones_still_verify():
    old = sign_link(uuid4(), NOW + timedelta(hours=1), ring(K1))
    rotated = ring(K2, K1, active="k2")
    new = sign_link(uuid4(), NOW + timedelta(hours=1), rotated)
    assert verify_link(new, rotated, NOW).key_id == "k2"
    assert verify_link(old, rotated, NOW).key_id == "k1"
    with pytest.raises(LinkRefused):
        verify_link(new, ring(K1), NOW)


def test_a_retired_key_verifies_during_its_grace_period_and_not_after():
    token = sign_link(uuid4(), NOW + timedelta(hours=24), ring(K1))
    retired = LinkKey("k1", K1.secret, retired_at=NOW)
    with_grace = ring(K2, retired, active="k2", grace=timedelta(hours=2))
    assert verify_link(token, with_grace, NOW + timedelta(hours=2) - timedelta(seconds=1)).key_id == "k1"
    with pytest.raises(LinkRefused):
        verify_link(token, with_grace, NOW + timedelta(hours=2) + timedelta(seconds=1))
    without_grace = ring(K2, retired, active="k2")
    with pytest.raises(LinkRefused):
        verify_link(token, without_grace, NOW + timedelta(seconds=1))
    assert verify_link(token, without_grace, NOW - timedelta(seconds=1)).key_id == "k1"


def test_a_keyring_whose_active_key_is_missing_or_retired_is_rejected():
    with pytest.raises(ValueError, match="not among"):
        ring(K1, active="k9")
    with pytest.raises(ValueError, match="retired"):
        ring(LinkKey("k1", K1.secret, retired_at=NOW))
    with pytest.raises(ValueError, match="shorter"):
        ring(LinkKey("k1", b"short"))
