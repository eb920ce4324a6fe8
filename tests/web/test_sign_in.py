"""Sign-in through an OpenID Connect provider, roles, scope and the audit log.

The provider is ``oidc-provider-mock`` on a local port: the real redirect, the provider's
authorisation form, the code exchange and the ID token's checks (signature from the provider's
keys, issuer, audience, expiry, nonce) all run; nothing leaves this computer. Every route of the
dashboard (taken from ``app.routes``, so new routes are covered) is called as every role.
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from cscperf.cli import main
from cscperf.errors import ConfigError
from cscperf.settings import GroupGrant, SignInSettings
from cscperf.store import audit
from cscperf.web.app import create_app
from cscperf.web.auth import OPEN_PATHS, SESSION_COOKIE, grant
from cscperf.web.forms import ROLES, single_user

with warnings.catch_warnings():
    # the mock provider imports Authlib's jose module, which warns that it is deprecated
    import authlib.deprecate

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    import oidc_provider_mock
    import werkzeug.serving
    from oidc_provider_mock import User as MockUser

# the mock provider runs Authlib's server side, which warns about its own deprecations
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")

GROUPS = {
    "cscperf-viewers": GroupGrant(roles=["viewer"]),
    "cscperf-saltfleet": GroupGrant(roles=["locality_manager"], localities=["Saltfleet"]),
    "cscperf-heads": GroupGrant(roles=["head_of_service"], areas=["lac"]),
    "cscperf-performance": GroupGrant(roles=["performance_officer"]),
    "cscperf-admins": GroupGrant(roles=["administrator"]),
}
# role -> (subject at the provider, name, group)
PEOPLE = {
    "viewer": ("vera", "Vera Viewer", "cscperf-viewers"),
    "locality_manager": ("sam", "Sam Saltfleet", "cscperf-saltfleet"),
    "head_of_service": ("hana", "Hana Head", "cscperf-heads"),
    "performance_officer": ("pat", "Pat Performance", "cscperf-performance"),
    "administrator": ("ada", "Ada Admin", "cscperf-admins"),
}
USERS = [
    *(
        MockUser(sub=sub, claims={"name": name, "groups": [group]})
        for sub, name, group in PEOPLE.values()
    ),
    MockUser(sub="nora", claims={"name": "Nora Nobody", "groups": ["finance-team"]}),
]
BASE = "https://testserver"
HARROWMERE_FIGURE = "70.6"  # looked-after children per 10,000 in Harrowmere, April 2025
SALTFLEET_FIGURE = "58.8"
# path parameters for calling every route
PATH_VALUES = {"indicator_id": "lac.rate_per_10k", "risk_id": "R1", "fmt": "csv"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def provider(*, max_age: timedelta = timedelta(hours=1), tamper: bool = False) -> Iterator[str]:
    """A mock OIDC provider on a local port; ``tamper`` alters each ID token it issues (one
    character of its claims) after it is signed, as an attacker in the middle would."""
    flask_app = oidc_provider_mock.app(
        require_nonce=True, access_token_max_age=max_age, user_claims=USERS
    )
    if tamper:

        @flask_app.after_request
        def altered(response: Any) -> Any:
            if response.is_json and "id_token" in (response.get_json(silent=True) or {}):
                body = response.get_json()
                head, claims, signature = body["id_token"].split(".")
                flipped = claims[:10] + ("A" if claims[10] != "A" else "B") + claims[11:]
                body["id_token"] = ".".join([head, flipped, signature])
                response.set_data(json.dumps(body))
            return response

    server = werkzeug.serving.make_server("localhost", free_port(), flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def sign_in_settings(issuer: str, *, secure: bool = True) -> SignInSettings:
    return SignInSettings(
        discovery_url=f"{issuer}/.well-known/openid-configuration",
        client_id="cscperf-test",
        groups=GROUPS,
        allowed_hosts=["testserver"],
        secure_cookies=secure,
    )


@pytest.fixture(scope="module")
def secrets_in_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CSCPERF_OIDC_CLIENT_SECRET", "test-client-secret")
        patch.setenv("CSCPERF_SESSION_SECRET", "s" * 48)
        yield


@pytest.fixture(scope="module")
def store(web_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the dashboard tests' store, so this module's audit entries stay here."""
    copy = tmp_path_factory.mktemp("signin") / "store"
    shutil.copytree(web_store, copy)
    return copy


@pytest.fixture(scope="module")
def issuer(secrets_in_env: None) -> Iterator[str]:
    with provider() as url:
        yield url


@pytest.fixture(scope="module")
def app(store: Path, issuer: str) -> Any:
    return create_app(store, benchmarks=False, sign_in=sign_in_settings(issuer))


def signed_in_client(
    app: Any, subject: str, back_to: str = "/summary"
) -> tuple[TestClient, httpx.Response]:
    """A browser that went through the provider as ``subject``; the callback's response."""
    client = TestClient(app, base_url=BASE)
    start = client.get("/sign-in", params={"next": back_to}, follow_redirects=False)
    assert start.status_code in (302, 303), start.text
    authorise = start.headers["location"]
    assert "/oauth2/authorize" in authorise and "nonce=" in authorise
    back = httpx.post(authorise, data={"sub": subject}, follow_redirects=False)
    assert back.status_code in (302, 303), back.text
    callback = back.headers["location"]
    assert callback.startswith(f"{BASE}/auth/callback?")
    return client, client.get(callback[len(BASE) :], follow_redirects=False)


@pytest.fixture(scope="module")
def clients(app: Any) -> dict[str, TestClient]:
    made = {}
    for role, (subject, _name, _group) in PEOPLE.items():
        client, answer = signed_in_client(app, subject)
        assert answer.status_code == 303 and answer.headers["location"] == "/summary", answer.text
        made[role] = client
    return made


def test_each_role_signs_in_with_a_safe_session_cookie_and_is_audited(
    app: Any, store: Path
) -> None:
    client, answer = signed_in_client(app, "ada")
    cookie = next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v
    )
    assert "secure" in cookie.lower() and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    page = client.get("/")
    assert page.status_code == 200
    assert "Signed in as Ada Admin (administrator)" in page.text
    assert "Single-user mode" not in page.text
    entries = audit.read_entries(store, action=audit.SIGN_IN, who="Ada Admin")
    assert entries and entries[0].action == audit.SIGN_IN and "administrator" in entries[0].detail
    # signing out ends the session: the next page needs sign-in again
    assert client.get("/sign-out", follow_redirects=False).headers["location"] == "/signed-out"
    again = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/sign-in?next=")
    assert audit.read_entries(store, action=audit.SIGN_OUT, who="Ada Admin")


def test_a_person_with_no_mapped_group_is_refused_and_audited(app: Any, store: Path) -> None:
    client, answer = signed_in_client(app, "nora")
    assert answer.status_code == 403
    assert "Nora Nobody has no role in this service" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 401
    refused = audit.read_entries(store, action=audit.SIGN_IN_REFUSED, who="Nora Nobody")
    assert refused and "no role" in refused[0].detail


def test_an_expired_id_token_is_refused(store: Path, secrets_in_env: None) -> None:
    with provider(max_age=timedelta(minutes=-30)) as url:
        app = create_app(store, benchmarks=False, sign_in=sign_in_settings(url))
        client, answer = signed_in_client(app, "ada")
    assert answer.status_code == 401
    assert "You could not be signed in" in answer.text and "has expired" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 401
    assert "expired" in audit.read_entries(store, action=audit.SIGN_IN_REFUSED)[0].detail


def test_a_tampered_id_token_is_refused(store: Path, secrets_in_env: None) -> None:
    with provider(tamper=True) as url:
        app = create_app(store, benchmarks=False, sign_in=sign_in_settings(url))
        client, answer = signed_in_client(app, "ada")
    assert answer.status_code == 401
    assert "failed its signature check" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 401


def test_a_tampered_session_cookie_is_not_a_session(app: Any, clients: dict[str, Any]) -> None:
    held = clients["viewer"].cookies.get(SESSION_COOKIE)
    assert held
    # claim the administrator's role by editing the cookie: its signature no longer matches
    forged = TestClient(app, base_url=BASE)
    forged.cookies.set(SESSION_COOKIE, held.replace(held[5], "x" if held[5] != "x" else "y", 1))
    assert forged.get("/admin/audit", follow_redirects=False).status_code == 401


def test_a_callback_not_started_here_is_refused(app: Any) -> None:
    stranger = TestClient(app, base_url=BASE)
    answer = stranger.get("/auth/callback?code=abc&state=made-up", follow_redirects=False)
    assert answer.status_code == 401 and "not started from this dashboard" in answer.text


def test_sign_in_returns_only_to_this_dashboard(app: Any) -> None:
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        _client, answer = signed_in_client(app, "vera", back_to=elsewhere)
        assert answer.status_code == 303 and answer.headers["location"] == "/", elsewhere
    _client, answer = signed_in_client(app, "vera", back_to="/builds?build=x")
    assert answer.headers["location"] == "/builds?build=x"


# -- the authorisation matrix ----------------------------------------------------------------


def route_paths(app: Any, method: str) -> list[str]:
    """Every route's path with its parameters filled in."""
    paths = []
    for route in app.routes:
        if isinstance(route, APIRoute) and method in route.methods:
            path = route.path
            for name in route.param_convertors:
                path = path.replace("{" + name + "}", PATH_VALUES.get(name, "x"))
            paths.append(path)
    return paths


EDITORS = ("performance_officer", "administrator")
CHILDREN = ("locality_manager", "administrator")
WHOLE_COUNTY = ("viewer", "head_of_service", "performance_officer", "administrator")


def expected(path: str, role: str) -> set[int]:
    """The statuses a role must get from a GET of ``path`` (with :data:`PATH_VALUES`)."""
    if path.startswith("/admin/"):
        return {200} if role == "administrator" else {403}
    if path == "/risks/new":
        return {200} if role in EDITORS else {403}
    if path == "/children":
        return {200} if role in CHILDREN else {403}
    if path.startswith("/children/"):
        # lac.rate_per_10k has no list of children behind it: not found, for those who may look
        return {404} if role in CHILDREN else {403}
    if path == "/downloads/pack-progress":
        # the pack compares every locality: a job is started only for the whole county's people
        return {202} if role in WHOLE_COUNTY else {403}
    fixed = {
        "/sign-in": {302},
        "/auth/callback": {401},  # no sign-in was started by this client
        "/downloads/pack.csv": {404},  # the pack comes as pdf or xlsx
        "/risks/R1": {404},
        "/risks/R1/update": {404},
        "/risks/R1/close": {404},
        "/commentary/x/x": {404},
    }
    if path in fixed:
        return fixed[path]
    if path in (
        "/",
        "/summary",
        "/indicators/lac.rate_per_10k",
        "/indicators/lac.rate_per_10k/rows.csv",
        "/builds",
        "/downloads/results.csv",
        "/risks",
        "/risks.csv",
        "/commentary",
        "/finance",
        "/forecast",
        "/forecast.csv",
        "/health",
        "/signed-out",
    ):
        return {200}
    # a route added since this test was written: answered, refused or not there, never a failure
    return {200, 202, 303, 403, 404}


def test_every_route_as_every_role(app: Any, clients: dict[str, TestClient]) -> None:
    paths = [p for p in route_paths(app, "GET") if p not in ("/sign-out",)]
    assert "/" in paths and "/admin/audit" in paths and "/indicators/lac.rate_per_10k" in paths
    for role, client in clients.items():
        for path in paths:
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code in expected(path, role), (role, path, answer.status_code)
            if role == "locality_manager":
                assert HARROWMERE_FIGURE not in answer.text, path
                assert "Harrowmere" not in answer.text, path
            # asking for another locality by name shows nothing of it
            if role == "locality_manager" and path not in OPEN_PATHS:
                other = client.get(path, params={"locality": "Harrowmere"}, follow_redirects=False)
                assert other.status_code in {403, 404} or "locality" not in _params(app, path), (
                    path,
                    other.status_code,
                )
                assert HARROWMERE_FIGURE not in other.text, path
                # (a refusal may repeat the name asked for; a page shown never has it)
                assert other.status_code != 200 or "Harrowmere" not in other.text, path


def _params(app: Any, path: str) -> set[str]:
    """The query parameters the route at ``path`` takes."""
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            return {p.name for p in route.dependant.query_params}
    return set()


def test_nobody_signed_in_is_sent_to_sign_in_on_every_route(app: Any) -> None:
    stranger = TestClient(app, base_url=BASE)
    for path in route_paths(app, "GET"):
        if path in OPEN_PATHS:
            continue
        page = stranger.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in"), path
        other = stranger.get(path, headers={"accept": "text/csv"}, follow_redirects=False)
        assert other.status_code == 401, path
        assert HARROWMERE_FIGURE not in other.text and SALTFLEET_FIGURE not in other.text


def test_every_form_refuses_a_viewer(app: Any, clients: dict[str, TestClient]) -> None:
    posts = route_paths(app, "POST")
    assert "/risks/new" in posts
    for path in posts:
        answer = clients["viewer"].post(path, data={"name": "x"}, follow_redirects=False)
        # refused, or nothing there to change: never saved (2xx) or redirected onwards (3xx)
        assert answer.status_code in (403, 404), (path, answer.status_code)


def test_a_locality_manager_sees_their_locality_and_nothing_of_another(
    clients: dict[str, TestClient],
) -> None:
    manager, admin = clients["locality_manager"], clients["administrator"]
    mine = manager.get("/indicators/lac.rate_per_10k")
    assert mine.status_code == 200
    assert "Saltfleet, April 2025" in mine.text and SALTFLEET_FIGURE in mine.text
    assert HARROWMERE_FIGURE not in mine.text
    # the same page for the administrator does show Harrowmere's figure: the check can fail
    theirs = admin.get("/indicators/lac.rate_per_10k", params={"locality": "Harrowmere"})
    assert HARROWMERE_FIGURE in theirs.text
    refused = manager.get("/indicators/lac.rate_per_10k", params={"locality": "Harrowmere"})
    assert refused.status_code == 404 and HARROWMERE_FIGURE not in refused.text
    rows = manager.get("/indicators/lac.rate_per_10k/rows.csv")
    assert rows.status_code == 200 and "Saltfleet" in rows.text and "Harrowmere" not in rows.text
    assert "Harrowmere" in admin.get("/indicators/lac.rate_per_10k/rows.csv").text


def test_audit_log_is_for_administrators_and_exports_safely(
    store: Path, clients: dict[str, TestClient]
) -> None:
    audit.record(store, '=HYPERLINK("http://x")', "risk.edit", "@SUM(A1)")
    page = clients["administrator"].get("/admin/audit")
    assert page.status_code == 200 and "Sam Saltfleet" in page.text
    assert clients["performance_officer"].get("/admin/audit").status_code == 403
    exported = clients["administrator"].get("/admin/audit.csv")
    assert exported.status_code == 200
    assert exported.headers["cache-control"] == "no-store"
    assert "'=HYPERLINK" in exported.text and "'@SUM(A1)" in exported.text
    assert audit.read_entries(store, action=audit.AUDIT_EXPORT, who="Ada Admin")
    # the exact export, the same as cscperf audit export's, verifies as a whole chain
    lines = clients["administrator"].get("/admin/audit.jsonl")
    assert lines.status_code == 200 and lines.headers["cache-control"] == "no-store"
    entries = [audit.AuditEntry(**json.loads(line)) for line in lines.text.splitlines()]
    assert entries[-1].action == audit.AUDIT_EXPORT and entries[-1].detail.endswith("JSONL")
    assert audit.verify(entries).first_bad is None
    assert clients["performance_officer"].get("/admin/audit.jsonl").status_code == 403


def test_the_audit_log_is_append_only(store: Path) -> None:
    audit.record(store, "someone", "import", {"build": "b1"})
    con = sqlite3.connect(store / "council.sqlite3")
    try:
        for statement in ("UPDATE audit_log SET who = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(statement)
    finally:
        con.close()
    assert audit.read_entries(store, who="someone")[0].detail == '{"build":"b1"}'


def test_groups_add_up_and_an_unlimited_group_gives_every_locality() -> None:
    settings = sign_in_settings("http://localhost:1")
    both = grant(
        settings, {"sub": "x", "name": "X", "groups": ["cscperf-saltfleet", "cscperf-heads"]}
    )
    assert both is not None
    assert both.roles == {"locality_manager", "head_of_service"}
    assert both.localities is None  # head of service's group is not limited to a locality
    assert both.areas is None
    only = grant(settings, {"sub": "y", "groups": "cscperf-saltfleet"})
    assert only is not None and only.localities == {"Saltfleet"} and only.name == "y"
    assert grant(settings, {"sub": "z", "groups": ["finance-team"]}) is None
    assert set(ROLES) == {g for grant_ in GROUPS.values() for g in grant_.roles}


def test_without_sign_in_the_dashboard_says_it_is_single_user(web_store: Path) -> None:
    client = TestClient(create_app(web_store, benchmarks=False, allowed_hosts=("testserver",)))
    page = client.get("/")
    assert page.status_code == 200
    assert "Single-user mode: no sign-in; this dashboard answers only on this computer" in page.text
    assert "everything is done as local user" in page.text  # the settings' risk.single_user
    assert single_user().whole_county


def test_sign_in_needs_its_secrets(store: Path, issuer: str, monkeypatch: Any) -> None:
    monkeypatch.delenv("CSCPERF_SESSION_SECRET", raising=False)
    with pytest.raises(ConfigError, match="CSCPERF_SESSION_SECRET"):
        create_app(store, benchmarks=False, sign_in=sign_in_settings(issuer))


def test_serve_without_sign_in_refuses_to_listen_beyond_this_computer(
    web_store: Path, capsys: Any
) -> None:
    assert main(["serve", "--store", str(web_store), "--host", "0.0.0.0"]) == 2
    assert "Without sign-in the dashboard is single-user" in capsys.readouterr().err


def test_serve_with_a_sign_in_file_that_is_wrong_says_where(
    tmp_path: Path, web_store: Path, capsys: Any
) -> None:
    wrong = tmp_path / "sign-in.yaml"
    wrong.write_text(
        "discovery_url: https://x/.well-known/openid-configuration\nclient_id: c\n"
        "groups: {g: {roles: [boss]}}\n",
        encoding="utf-8",
    )
    assert main(["serve", "--store", str(web_store), "--sign-in", str(wrong)]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "sign-in.yaml" in said and "groups.g.roles" in said and "unknown role(s) boss" in said


def test_a_head_of_service_reads_and_writes_only_their_areas_commentary(
    clients: dict[str, TestClient],
) -> None:
    """Hana is head of service for ``lac``: she reads every aggregate figure (like a viewer),
    but the commentary list shows only her areas' commentary, and she may neither open nor
    send commentary on another area; the administrator sees every area (the check can fail)."""
    head, admin = clients["head_of_service"], clients["administrator"]
    listing = head.get("/commentary", params={"period": "2025-04"})
    assert listing.status_code == 200
    assert "/commentary/indicator/lac.rate_per_10k?period=2025-04" in listing.text
    assert "/commentary/indicator/cp.rate_per_10k" not in listing.text
    assert "/commentary/area/cp" not in listing.text
    everyone = admin.get("/commentary", params={"period": "2025-04", "area": "cp"})
    assert "/commentary/indicator/cp.rate_per_10k?period=2025-04" in everyone.text
    assert head.get("/commentary", params={"area": "cp"}).status_code == 403
    assert head.get("/commentary/indicator/cp.rate_per_10k?period=2025-04").status_code == 403
    assert head.get("/commentary/area/cp?period=2025-04").status_code == 403
    mine = head.get("/commentary/indicator/lac.rate_per_10k?period=2025-04")
    assert mine.status_code == 200
    token = mine.cookies.get("cscperf_csrf") or head.cookies.get("cscperf_csrf")
    sent = head.post(
        "/commentary/indicator/cp.rate_per_10k?period=2025-04",
        data={"csrf_token": token or "", "action": "save", "analysis": "Not mine to write."},
        headers={"origin": BASE},
        follow_redirects=False,
    )
    assert sent.status_code == 403
    # figures are aggregate: every area's page is open to her
    assert head.get("/indicators/cp.rate_per_10k").status_code == 200
