"""Signing in: password login, the session cookie, the bearer token, logout, CSRF, slowed guessing."""

from __future__ import annotations

import uuid

import httpx

from gateway.domain.client_address import trusted_networks
from tests.integration.gateway.conftest import Stack

pytestmark = __import__("pytest").mark.integration


async def test_login_sets_an_httponly_samesite_cookie_and_me_names_the_user_and_organization(stack: Stack):
    org = uuid.uuid4()
    user, password = await stack.user("org_admin", org)
    async with httpx.AsyncClient(base_url=stack.url) as browser:
        answer = await browser.post("/api/auth/login", json={"email": user.email.upper(), "password": password})
        assert answer.status_code == 200
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("session=")
        assert "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        body = answer.json()
        assert body["token"] and body["csrf_token"]

        me = await browser.get("/api/me")
        assert me.status_code == 200
        assert me.json()["user"] == {"id": str(user.id), "email": user.email, "name": user.name, "role": "org_admin"}
        assert me.json()["organization"]["id"] == str(org)
        assert me.json()["csrf_token"] == body["csrf_token"]


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(stack: Stack):
    user, _ = await stack.user()
    async with httpx.AsyncClient(base_url=stack.url) as browser:
        wrong = await browser.post("/api/auth/login", json={"email": user.email, "password": "nope"})
        unknown = await browser.post("/api/auth/login", json={"email": f"x{uuid.uuid4().hex}@e.test", "password": "x"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() == {"detail": "wrong email or password"}
        assert "set-cookie" not in wrong.headers
        assert (await browser.get("/api/me")).status_code == 401


async def test_login_without_an_email_names_the_missing_field(stack: Stack):
    async with httpx.AsyncClient(base_url=stack.url) as browser:
        answer = await browser.post("/api/auth/login", json={"password": "x"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "email"]


async def test_the_bearer_token_works_for_scripts_without_a_csrf_header(stack: Stack):
    browser, login = await stack.signed_in()
    await browser.aclose()
    async with httpx.AsyncClient(base_url=stack.url) as script:
        headers = {"Authorization": f"Bearer {login['token']}"}
        me = await script.get("/api/me", headers=headers)
        assert me.status_code == 200
        created = await script.post("/api/batches", json={"name": "Spring"}, headers=headers)
        assert created.status_code == 200
        assert created.json()["method"] == "POST"
        bad = await script.get("/api/me", headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401


async def test_logout_ends_the_session_for_the_cookie_and_its_bearer_token(stack: Stack):
    browser, login = await stack.signed_in()
    cookie = browser.cookies["session"]
    out = await browser.post("/api/auth/logout", headers={"X-CSRF-Token": login["csrf_token"]})
    assert out.status_code == 200
    assert "Max-Age=0" in out.headers["set-cookie"]
    assert (await browser.get("/api/me")).status_code == 401
    async with httpx.AsyncClient(base_url=stack.url, cookies={"session": cookie}) as replay:
        # a copy of the old cookie value is no longer a session
        assert (await replay.get("/api/me")).status_code == 401
        assert (await replay.get("/api/me", headers={"Authorization": f"Bearer {login['token']}"})).status_code == 401


async def test_state_changing_cookie_requests_need_the_csrf_token_and_change_nothing_without_it(stack: Stack):
    browser, login = await stack.signed_in()
    before = len(stack.calls("batches"))
    forged = await browser.post("/api/batches/b1/complete")
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["detail"]
    wrong = await browser.post("/api/batches/b1/complete", headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    assert len(stack.calls("batches")) == before  # nothing reached the service
    ok = await browser.post("/api/batches/b1/complete", headers={"X-CSRF-Token": login["csrf_token"]})
    assert ok.status_code == 200, ok.text
    assert len(stack.calls("batches")) == before + 1
    # reading needs no token
    assert (await browser.get("/api/batches")).status_code == 200


async def test_a_request_from_another_site_is_refused_even_with_the_token(stack: Stack):
    browser, login = await stack.signed_in()
    answer = await browser.post(
        "/api/batches/b1/archive",
        headers={"X-CSRF-Token": login["csrf_token"], "Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert answer.json() == {"detail": "cross-site request refused"}
    same = await browser.post(
        "/api/batches/b1/archive", headers={"X-CSRF-Token": login["csrf_token"], "Origin": stack.url}
    )
    assert same.status_code == 200


async def test_an_expired_session_is_signed_out(stack: Stack):
    browser, _ = await stack.signed_in()
    assert (await browser.get("/api/me")).status_code == 200
    stack.clock.advance(hours=13)
    try:
        assert (await browser.get("/api/me")).status_code == 401
    finally:
        stack.clock.advance(hours=-13)


async def test_repeated_wrong_passwords_lock_that_email_from_that_address_with_growing_delays(stack: Stack):
    user, password = await stack.user()
    async with httpx.AsyncClient(base_url=stack.url) as attacker:

        async def attempt(pw: str) -> httpx.Response:
            return await attacker.post("/api/auth/login", json={"email": user.email, "password": pw})

        for _ in range(3):  # the free attempts
            assert (await attempt("guess")).status_code == 401
        assert (await attempt("guess")).status_code == 401  # the 4th failure starts a 1 s lock
        locked = await attempt(password)  # even the right password waits
        assert locked.status_code == 429
        assert locked.headers["Retry-After"] == "1"
        assert "try again in 1 seconds" in locked.json()["detail"]

        stack.clock.advance(seconds=1)
        assert (await attempt("guess")).status_code == 401  # 5th failure: 2 s
        stack.clock.advance(seconds=1)
        assert (await attempt(password)).status_code == 429
        stack.clock.advance(seconds=1)
        assert (await attempt("guess")).status_code == 401  # 6th failure: 4 s
        assert (await attempt("guess")).headers["Retry-After"] == "4"

        # another address is not held up by this one's failures
        other = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
        async with httpx.AsyncClient(base_url=stack.url, transport=other) as colleague:
            answer = await colleague.post("/api/auth/login", json={"email": user.email, "password": password})
            assert answer.status_code == 200

        stack.clock.advance(seconds=4)
        assert (await attempt(password)).status_code == 200
        # success clears the record: the next wrong password is a plain 401
        assert (await attempt("guess")).status_code == 401


async def test_behind_a_trusted_proxy_guesses_are_counted_per_forwarded_client(stack: Stack):
    gateway = stack.gateway.app.state.gateway
    user, password = await stack.user()
    gateway.trusted_proxies = trusted_networks(["127.0.0.1"])  # the test client plays the load balancer
    try:
        async with httpx.AsyncClient(base_url=stack.url) as proxy:

            async def attempt(pw: str, client: str) -> httpx.Response:
                body = {"email": user.email, "password": pw}
                return await proxy.post("/api/auth/login", json=body, headers={"X-Forwarded-For": client})

            for _ in range(4):
                assert (await attempt("guess", "198.51.100.1")).status_code == 401
            assert (await attempt(password, "198.51.100.1")).status_code == 429  # that client waits
            assert (await attempt(password, "198.51.100.2")).status_code == 200  # a colleague does not
            # a client cannot dodge the lock by writing its own X-Forwarded-For first hop
            assert (await attempt(password, "203.0.113.9, 198.51.100.1")).status_code == 429
    finally:
        gateway.trusted_proxies = ()
