"""TLS and mutual TLS: the client connects with matching credentials, and only with them."""

import shutil
import subprocess

import grpc
import pytest

from serving.client import (
    AuthenticationError,
    ServingClient,
    ServingError,
    ServingUnavailableError,
    tls_credentials,
)
from tests.serving import client_fakes
from tests.serving.client_fakes import CLASSIFIER
from tfcharnlp import cli

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A test CA, a server certificate for localhost/127.0.0.1 and a client certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=tfcharnlp test CA",
        cwd=folder,
    )  # fmt: skip
    for name, extension in (
        ("server", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        (folder / f"{name}.ext").write_text(extension + "\n")
        _openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN={name}",
            cwd=folder,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "1", "-out", f"{name}.pem", "-extfile", f"{name}.ext",
            cwd=folder,
        )  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def tls_fake(certificates):
    credentials = grpc.ssl_server_credentials(
        [((certificates / "server.key").read_bytes(), (certificates / "server.pem").read_bytes())],
        root_certificates=(certificates / "ca.pem").read_bytes(),
        require_client_auth=True,
    )
    yield from client_fakes.serve_fake(client_fakes.FakeServing(), credentials=credentials)


def test_mutual_tls_with_the_right_certificates(tls_fake, certificates):
    credentials = tls_credentials(
        certificates / "ca.pem", certificates / "client.key", certificates / "client.pem"
    )
    with ServingClient(tls_fake.target, CLASSIFIER, credentials=credentials) as client:
        assert client.classify(["tiny"])[0].label == "short"


def test_a_client_without_a_certificate_is_refused(tls_fake, certificates):
    credentials = tls_credentials(certificates / "ca.pem")
    with ServingClient(
        tls_fake.target, CLASSIFIER, credentials=credentials, retries=0, timeout=5
    ) as client:
        with pytest.raises((ServingUnavailableError, AuthenticationError)) as caught:
            client.classify(["tiny"])
    assert isinstance(caught.value, ServingError)


def test_a_plain_text_client_is_refused(tls_fake):
    with ServingClient(tls_fake.target, CLASSIFIER, retries=0, timeout=5) as client:
        with pytest.raises(ServingUnavailableError):
            client.classify(["tiny"])


def test_half_a_client_identity_is_a_value_error(certificates):
    with pytest.raises(ValueError, match="both"):
        tls_credentials(certificates / "ca.pem", private_key=certificates / "client.key")


def test_query_with_tls_flags(tls_fake, certificates, capsys):
    argv = [
        "query", "--target", tls_fake.target, "--model", CLASSIFIER,
        "--ca-cert", str(certificates / "ca.pem"),
        "--client-cert", str(certificates / "client.pem"),
        "--client-key", str(certificates / "client.key"),
        "tiny",
    ]  # fmt: skip
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.startswith("short\t")
