"""The test OpenID Connect provider as a real process, and a person's browser at it.

`ProviderProcess` runs `python -m tests.sso.oidc_provider` (django-oauth-toolkit) on a free port
of 127.0.0.1 with its own SQLite file and RSA key. `PersonAtProvider` is the person's side of
the Authorization Code flow, done over real HTTP with `requests`: open the authorization URL,
sign in on the provider's login page, and return where the provider sends the browser back
(our callback with `code` and `state`). Nothing of the protocol is imitated: the provider and
our relying party speak to each other as in production.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "provider-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProviderProcess:
    def __init__(self, workdir: Path, *, id_token_seconds: int = 300):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/o"
        self.setup_token = secrets.token_urlsafe(16)
        workdir.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file = workdir / "provider-key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        env = {
            **os.environ,
            "PROVIDER_PORT": str(self.port),
            "PROVIDER_DB": str(workdir / "provider.sqlite3"),
            "PROVIDER_KEY_FILE": str(key_file),
            "PROVIDER_SETUP_TOKEN": self.setup_token,
            "PROVIDER_ID_TOKEN_SECONDS": str(id_token_seconds),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DATABASE_URL", None)
        self.log = open(workdir / "provider.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.sso.oidc_provider"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test OIDC provider exited: see {self.log.name}")
            try:
                if requests.get(self.discovery_url, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the test OIDC provider did not start in time")

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def setup(self, *, users=(), clients=()) -> None:
        """Create or update people (with groups) and registered clients at the provider."""
        response = requests.post(
            f"http://127.0.0.1:{self.port}/setup/",
            data=json.dumps({"users": list(users), "clients": list(clients)}),
            headers={"X-Setup-Token": self.setup_token},
            timeout=10,
        )
        response.raise_for_status()

    def person(self, username: str, *, email: str, groups=(), first="", last="", active=True):
        self.setup(
            users=[
                {
                    "username": username,
                    "password": PASSWORD,
                    "email": email,
                    "first_name": first,
                    "last_name": last,
                    "groups": list(groups),
                    "active": active,
                }
            ]
        )

    def client(self, client_id: str, secret: str, redirect_uris, logout_uris=()) -> None:
        self.setup(
            clients=[
                {
                    "client_id": client_id,
                    "client_secret": secret,
                    "redirect_uris": list(redirect_uris),
                    "post_logout_redirect_uris": list(logout_uris),
                }
            ]
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class PersonAtProvider:
    """A person's browser at the provider (its own cookies), over real HTTP."""

    def __init__(self, username: str, password: str = PASSWORD):
        self.username = username
        self.password = password
        self.http = requests.Session()

    def authorize(self, authorization_url: str) -> str:
        """Follow the authorization request through the provider's login page; return the URL
        the provider redirects the browser to (our callback, with code and state)."""
        url = authorization_url
        for _ in range(6):
            response = self.http.get(url, allow_redirects=False, timeout=10)
            if response.status_code in (301, 302, 303):
                location = urljoin(url, response.headers["Location"])
                if urlsplit(location).netloc != urlsplit(url).netloc:
                    return location  # leaving the provider: back to the relying party
                url = location
                continue
            if response.status_code == 200 and "csrfmiddlewaretoken" in response.text:
                url = self._sign_in(url, response.text)
                continue
            raise AssertionError(f"unexpected provider answer {response.status_code}: {url}")
        raise AssertionError("the provider never sent the browser back")

    def _sign_in(self, url: str, page: str) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        nxt = parse_qs(urlsplit(url).query).get("next", [""])[0]
        response = self.http.post(
            url,
            data={
                "csrfmiddlewaretoken": token,
                "username": self.username,
                "password": self.password,
                "next": nxt,
            },
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, f"provider login failed for {self.username}"
        return urljoin(url, response.headers["Location"])


def tokens_for(
    provider: ProviderProcess,
    person: PersonAtProvider,
    *,
    client_id,
    secret,
    redirect_uri,
    nonce="n-0123456789",
) -> dict:
    """Real tokens from the provider for `client_id` (the flow a relying party runs), for tests
    that hand our checks a token meant for someone else."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": secrets.token_urlsafe(8),
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    back = person.authorize(f"{provider.issuer}/authorize/?{query}")
    code = parse_qs(urlsplit(back).query)["code"][0]
    response = requests.post(
        f"{provider.issuer}/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "client_secret": secret,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()
