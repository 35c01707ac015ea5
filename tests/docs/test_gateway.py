"""The nginx gateway on "Reaching the API from mainland China" works, and its comments are true.

nginx runs the page's file (both languages) with only its addresses and certificate paths
replaced, in front of a stand-in for api.jina.ai: nginx again, with TLS under a certificate for
that name that refuses any other name (SNI), forwarding to the emulator. chroma-jina calls the
gateway over TLS, as a reader's code would. Then one directive at a time is taken out or changed,
and the request its comment protects fails.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
import trustme

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.errors import JinaError, RateLimitError
from chroma_jina.testing import JinaEmulator, TooManyRequests
from tests.support.chroma import free_ports, stop

ROOT = Path(__file__).resolve().parents[2]
CONFS = [ROOT / "snippets" / "jina-gateway.conf", ROOT / "snippets" / "zh" / "jina-gateway.conf"]
NGINX = Path("/usr/sbin/nginx")
MAX_BODY = "client_max_body_size 64m;"
SNI = "proxy_ssl_server_name on;"
ALLOW = "allow 203.0.113.0/24;"
DENY = "deny all;"
TRUSTED = "/etc/ssl/certs/ca-certificates.crt"
GATEWAY_NAMES = ("jina-gateway.example.com", "127.0.0.1")

pytestmark = pytest.mark.nginx


class Site:
    """Certificates and ports of one test: the gateway's and the stand-in api.jina.ai's."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.clients: list[httpx.Client] = []
        self.ca = trustme.CA()
        # Two different ports: on one, the stand-in's default server would refuse the client.
        self.gateway_port, self.jina_port = free_ports(2)
        self.gateway_pem, self.gateway_key = self._issue("gateway", *GATEWAY_NAMES)
        self.jina_pem, self.jina_key = self._issue("jina", "api.jina.ai")
        self.ca_file = folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def _issue(self, name: str, *hosts: str) -> tuple[Path, Path]:
        leaf = self.ca.issue_cert(*hosts)
        pem, key = self.folder / f"{name}.pem", self.folder / f"{name}.key"
        leaf.cert_chain_pems[0].write_to_path(str(pem))
        leaf.private_key_pem.write_to_path(str(key))
        return pem, key

    def gateway(self, conf: Path, *, trusted: Path | None = None, allow: bool = True) -> str:
        """The page's file, listening here, forwarding to the stand-in, allowing this machine."""
        text = conf.read_text(encoding="utf-8")
        for old, new in {
            ALLOW: "allow 127.0.0.1;" if allow else ALLOW,
            "listen 443 ssl;": f"listen 127.0.0.1:{self.gateway_port} ssl;",
            "/etc/nginx/certs/jina-gateway.example.com.pem": str(self.gateway_pem),
            "/etc/nginx/certs/jina-gateway.example.com.key": str(self.gateway_key),
            "proxy_pass https://api.jina.ai;": f"proxy_pass https://127.0.0.1:{self.jina_port};",
            TRUSTED: str(trusted or self.ca_file),
        }.items():
            assert text.count(old) == 1, f"{conf.name}: expected {old!r} once"
            text = text.replace(old, new)
        return text

    def nginx_conf(self, gateway: str, emulator_url: str) -> str:
        temp = self.folder / "temp"
        temp.mkdir(exist_ok=True)
        paths = "\n".join(
            f"    {kind}_temp_path {temp / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        upstream = emulator_url.removesuffix("/v1")
        return f"""
daemon off;
master_process off;
pid {self.folder / "nginx.pid"};
error_log {self.folder / "error.log"} info;
events {{ worker_connections 64; }}
http {{
    access_log off;
{paths}
{gateway}
    server {{
        listen 127.0.0.1:{self.jina_port} ssl default_server;
        ssl_reject_handshake on;
    }}
    server {{
        listen 127.0.0.1:{self.jina_port} ssl;
        server_name api.jina.ai;
        ssl_certificate {self.jina_pem};
        ssl_certificate_key {self.jina_key};
        client_max_body_size 0;
        location / {{
            proxy_set_header Host $host;
            proxy_pass {upstream};
        }}
    }}
}}
"""

    def trust(self) -> ssl.SSLContext:
        """A client's TLS settings that trust this test's certificates."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def function(self, model_name: str = "jina-embeddings-v3") -> JinaEmbeddingFunction:
        """chroma-jina as a reader sets it up: the gateway as base URL, over verified TLS."""
        return JinaEmbeddingFunction(
            model_name=model_name,
            api_key="jina_test",
            base_url=f"https://127.0.0.1:{self.gateway_port}/v1",
            max_retries=0,
            http_client=self.client(),
        )

    def client(self) -> httpx.Client:
        client = httpx.Client(verify=self.trust(), timeout=30)
        self.clients.append(client)
        return client


@contextmanager
def running(site: Site, gateway: str, emulator: JinaEmulator) -> Iterator[None]:
    """nginx with `gateway` and the stand-in api.jina.ai, up once the gateway's own certificate
    answers. A port another test took since it was chosen makes nginx exit: new ports, again."""
    with emulator.serve() as emulator_url:
        for _ in range(3):
            process = start_nginx(site, gateway, emulator_url)
            if process is not None:
                break
            old = (site.gateway_port, site.jina_port)
            site.gateway_port, site.jina_port = free_ports(2)
            for before, after in zip(old, (site.gateway_port, site.jina_port), strict=True):
                gateway = gateway.replace(f"127.0.0.1:{before}", f"127.0.0.1:{after}")
        else:
            raise RuntimeError("nginx found no free ports in three tries")
        try:
            yield
        finally:
            stop(process)
            process.stderr.close()  # type: ignore[union-attr]


def start_nginx(site: Site, gateway: str, emulator_url: str) -> subprocess.Popen[bytes] | None:
    """nginx serving `gateway`, once a TLS handshake gets the gateway's certificate (not another
    process's answer on the port); None when a port was taken (EADDRINUSE)."""
    conf = site.folder / "nginx.conf"
    conf.write_text(site.nginx_conf(gateway, emulator_url), encoding="utf-8")
    process = subprocess.Popen(
        [str(NGINX), "-p", str(site.folder), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while True:
        if process.poll() is not None:
            _, err = process.communicate(timeout=5)
            log = err.decode() + (site.folder / "error.log").read_text(errors="replace")
            if "Address already in use" in log:
                return None
            raise RuntimeError(f"nginx did not start: {log}")
        try:
            raw = socket.create_connection(("127.0.0.1", site.gateway_port), timeout=1)
            tls = site.trust().wrap_socket(
                raw, server_hostname=GATEWAY_NAMES[0], do_handshake_on_connect=False
            )
            try:
                tls.do_handshake()
                return process
            finally:
                tls.close()
        except OSError:  # ssl.SSLError too: not up yet, or another process on the port
            if time.monotonic() > deadline:
                stop(process)
                raise RuntimeError("nginx did not answer with the gateway's certificate") from None
            time.sleep(0.05)


def big_image() -> np.ndarray:
    """Noise does not compress: about 1.4 MB of base64, over nginx's default 1 MB body."""
    return np.random.default_rng(0).integers(0, 256, (600, 600, 3), dtype=np.uint8)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    assert NGINX.exists(), "nginx is missing: run `make test` (it runs .ci/ensure-packages)"
    site = Site(tmp_path)
    yield site
    for client in site.clients:
        client.close()


@pytest.mark.parametrize("conf", CONFS, ids=["en", "zh"])
def test_the_gateway_forwards_to_jina(site: Site, conf: Path) -> None:
    emulator = JinaEmulator()
    with running(site, site.gateway(conf), emulator):
        through = site.function()(["一段中文", "some English"])
        with httpx.Client(transport=JinaEmulator().transport()) as in_process:
            direct = JinaEmbeddingFunction(
                model_name="jina-embeddings-v3", api_key="jina_test", http_client=in_process
            )(["一段中文", "some English"])
        assert [v.tolist() for v in through] == [v.tolist() for v in direct]

        images = site.function("jina-clip-v2")([big_image()])
        assert len(images[0]) == 1024

        outside_the_api = httpx.get(f"https://127.0.0.1:{site.gateway_port}/", verify=site.trust())
        assert outside_the_api.status_code == 404

        emulator.script(TooManyRequests(retry_after=7))
        with pytest.raises(RateLimitError) as limited:
            site.function()(["text"])
        assert limited.value.code == "RATE_REQUEST_LIMIT_EXCEEDED"
        assert limited.value.retry_after == 7

    seen = emulator.requests[:2]
    assert [r.path for r in seen] == ["/v1/embeddings", "/v1/embeddings"]
    assert {r.headers["host"] for r in seen} == {"api.jina.ai"}
    assert {r.headers["authorization"] for r in seen} == {"Bearer jina_test"}
    assert emulator.stats.bytes_received > 2**20


def test_without_the_body_size_a_batch_of_images_is_refused(site: Site) -> None:
    gateway = site.gateway(CONFS[0]).replace(MAX_BODY, "")
    with running(site, gateway, JinaEmulator()), pytest.raises(JinaError, match="413") as refused:
        site.function("jina-clip-v2")([big_image()])
    assert "client_max_body_size" in refused.value.hint


def test_the_gateway_relays_only_for_the_allowed_addresses(site: Site) -> None:
    stranger = site.gateway(CONFS[0], allow=False)  # this machine is not in the page's range
    emulator = JinaEmulator()
    with running(site, stranger, emulator), pytest.raises(JinaError, match="403"):
        site.function()(["text"])
    assert emulator.stats.requests == 0

    with running(site, stranger.replace(DENY, ""), emulator):
        assert len(site.function()(["text"])[0]) == 1024  # without `deny all`, anyone relays


def test_without_sni_jinas_server_refuses_the_gateway(site: Site) -> None:
    gateway = site.gateway(CONFS[0]).replace(SNI, "")
    emulator = JinaEmulator()
    with running(site, gateway, emulator), pytest.raises(JinaError, match="502"):
        site.function()(["text"])
    assert emulator.stats.requests == 0


def test_the_gateway_refuses_a_server_it_cannot_verify(site: Site) -> None:
    other_ca = site.folder / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    emulator = JinaEmulator()
    with (
        running(site, site.gateway(CONFS[0], trusted=other_ca), emulator),
        pytest.raises(JinaError, match="502"),
    ):
        site.function()(["text"])
    assert emulator.stats.requests == 0


def test_a_port_taken_before_nginx_binds_it_is_replaced(site: Site) -> None:
    """Another test may take a chosen port before nginx binds it (three workers share the
    machine): nginx exits, and the gateway comes up on new ports instead of a stranger answering."""
    taken = site.gateway_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        with running(site, site.gateway(CONFS[0]), JinaEmulator()):
            assert site.gateway_port != taken
            assert len(site.function()(["text"])[0]) == 1024
