"""Where a server listens: loopback only without API keys, any address with them, and TLS on both ports.

Each case is a real ``genlens serve`` process; the TLS certificate is made for the test with ``cryptography``
(self-signed, for 127.0.0.1), and clients trust exactly that certificate.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tests.conftest import cli, free_port, stop_process
from tests.otlp_helpers import new_span_id, new_trace_id, span_request


def _serve(data: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GENLENS_")}
    environ.update({"GENLENS_INGEST_WORKERS": "0", **(env or {})})
    data.mkdir(parents=True, exist_ok=True)
    log = open(data / "server.log", "ab")  # noqa: SIM115 - the child holds it; closed when the test ends
    return subprocess.Popen([sys.executable, "-m", "genlens", "serve", "--data", str(data), *args],
                            stdout=log, stderr=subprocess.STDOUT, env=environ)


def _admin_key(data: Path) -> str:
    made = cli("keys", "create", "--name", "ops", "--role", "admin", "--data", str(data), "--format", "json")
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["token"])


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, **kwargs: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(url, timeout=1, **kwargs).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"not ready: {log.read_text()}")


def test_no_keys_means_loopback_only_and_a_clear_refusal_elsewhere(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "::", "192.0.2.10"):
        process = _serve(tmp_path / "open", "--host", host, "--port", str(free_port()), "--grpc-port", "0")
        try:
            assert process.wait(timeout=60) == 2
        finally:
            stop_process(process)
        said = (tmp_path / "open" / "server.log").read_text()
        assert f"refusing to listen on {host!r} with no API keys" in said and "genlens keys create" in said
    assert not (tmp_path / "open" / "genlens.duckdb").exists()  # refused before anything was opened

    _admin_key(tmp_path / "keyed")
    port = free_port()
    process = _serve(tmp_path / "keyed", "--host", "0.0.0.0", "--port", str(port), "--grpc-port", "0")
    try:
        _wait(f"http://127.0.0.1:{port}/healthz", process, tmp_path / "keyed" / "server.log")
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/traces", timeout=10).status_code == 401
    finally:
        stop_process(process)


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "genlens test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def test_tls_on_the_http_and_grpc_ports(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    data = tmp_path / "data"
    token = _admin_key(data)
    port, grpc_port = free_port(), free_port()
    process = _serve(data, "--port", str(port), "--grpc-port", str(grpc_port),
                     env={"GENLENS_TLS_CERT_FILE": str(cert), "GENLENS_TLS_KEY_FILE": str(key)})
    try:
        base = f"https://127.0.0.1:{port}"
        trust = ssl.create_default_context(cafile=str(cert))
        _wait(f"{base}/healthz", process, data / "server.log", verify=trust)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)  # no plain HTTP on a TLS port
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{base}/healthz", timeout=5)  # a client that does not trust the certificate
        now = time.time_ns()
        body = span_request([{"trace_id": new_trace_id(), "span_id": new_span_id(), "name": "over tls",
                              "start": now, "end": now + 10}]).SerializeToString()
        auth = {"authorization": f"Bearer {token}", "content-type": "application/x-protobuf"}
        assert httpx.post(f"{base}/v1/traces", content=body, headers=auth, verify=trust,
                          timeout=10).status_code == 200

        login = httpx.post(f"{base}/login", content=f"key={token}&next=/traces", verify=trust, timeout=10,
                           headers={"content-type": "application/x-www-form-urlencoded", "origin": base})
        assert login.status_code == 303 and "Secure" in login.headers["set-cookie"]

        method = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
        secure = grpc.secure_channel(f"127.0.0.1:{grpc_port}",
                                     grpc.ssl_channel_credentials(root_certificates=cert.read_bytes()))
        plain = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        try:
            export = secure.unary_unary(method, request_serializer=None,
                                        response_deserializer=ExportTraceServiceResponse.FromString)
            reply = export(body, metadata=(("authorization", f"Bearer {token}"),), timeout=10)
            assert reply.partial_success.rejected_spans == 0
            with pytest.raises(grpc.RpcError) as failed:
                plain.unary_unary(method, request_serializer=None)(body, timeout=5)
            assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
        finally:
            secure.close()
            plain.close()
    finally:
        stop_process(process)


def test_half_a_tls_setting_is_a_clear_error(tmp_path: Path) -> None:
    cert, _ = _certificate(tmp_path)
    process = _serve(tmp_path / "half", "--port", str(free_port()), "--grpc-port", "0",
                     env={"GENLENS_TLS_CERT_FILE": str(cert)})
    try:
        assert process.wait(timeout=60) == 2
    finally:
        stop_process(process)
    assert "tls.cert_file and tls.key_file go together" in (tmp_path / "half" / "server.log").read_text()
