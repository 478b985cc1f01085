"""TLS and mutual TLS on the gRPC port, from TF Serving's `--ssl_config_file`.

A throwaway CA, server and client certificates are generated at test time
with `cryptography` (no key is ever committed); a second, unrelated CA signs
an impostor client certificate.
"""

import argparse
import datetime
import ipaddress

import grpc
import pytest
from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

from serving.client import ServingClient, ServingError, tls_credentials
from serving.server import ServerOptions, flags, single_model_config, tls
from tests.serving import server_models
from tfcharnlp.errors import ConfigError

cryptography = pytest.importorskip("cryptography")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_leaf(ca_key, ca_cert, common_name, server):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    cert = builder.sign(ca_key, hashes.SHA256())
    return _pem_key(key), cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki():
    ca_key, ca_cert = make_ca("tfcharnlp test CA")
    other_key, other_cert = make_ca("someone else's CA")
    server_key, server_cert = make_leaf(ca_key, ca_cert, "localhost", server=True)
    client_key, client_cert = make_leaf(ca_key, ca_cert, "client", server=False)
    impostor_key, impostor_cert = make_leaf(other_key, other_cert, "impostor", server=False)
    return {
        "ca": ca_cert.public_bytes(serialization.Encoding.PEM),
        "server": (server_key, server_cert),
        "client": (client_key, client_cert),
        "impostor": (impostor_key, impostor_cert),
    }


@pytest.fixture(scope="module")
def model_base(tmp_path_factory):
    base = tmp_path_factory.mktemp("repository") / "m"
    server_models.build_text_model(base, 1)
    return base


def status_ok(target, credentials):
    """True when GetModelStatus answers over this channel, else the RpcError's code."""
    channel = (
        grpc.insecure_channel(target)
        if credentials is None
        else grpc.secure_channel(target, credentials)
    )
    with channel:
        stub = model_service_pb2_grpc.ModelServiceStub(channel)
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = "m"
        try:
            stub.GetModelStatus(request, timeout=5)
        except grpc.RpcError as error:
            return error.code()
        return True


def test_server_tls_accepts_clients_that_trust_the_ca(pki, model_base, serve):
    key, cert = pki["server"]
    server = serve(
        model_name="m", model_base_path=model_base, ssl_config=tls.make_ssl_config(key, cert)
    )
    trusted = tls_credentials(root_certificates=pki["ca"])
    assert status_ok(server.target, trusted) is True
    # The library client, with the matching credentials, classifies.
    with ServingClient(server.target, "m", credentials=trusted, retries=0) as client:
        assert [p.label for p in client.classify(["abc"])] == ["short"]
    # Plain text and a client trusting another CA are refused.
    assert status_ok(server.target, None) == grpc.StatusCode.UNAVAILABLE
    untrusted = tls_credentials(
        root_certificates=make_ca("x")[1].public_bytes(serialization.Encoding.PEM)
    )
    assert status_ok(server.target, untrusted) == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls_refuses_clients_without_a_valid_certificate(pki, model_base, serve):
    key, cert = pki["server"]
    ssl_config = tls.make_ssl_config(key, cert, custom_ca=pki["ca"], client_verify=True)
    server = serve(model_name="m", model_base_path=model_base, ssl_config=ssl_config)
    client_key, client_cert = pki["client"]
    good = tls_credentials(
        root_certificates=pki["ca"], private_key=client_key, certificate_chain=client_cert
    )
    assert status_ok(server.target, good) is True
    with ServingClient(server.target, "m", credentials=good, retries=0) as client:
        assert client.status()
    no_cert = tls_credentials(root_certificates=pki["ca"])
    assert status_ok(server.target, no_cert) == grpc.StatusCode.UNAVAILABLE
    impostor_key, impostor_cert = pki["impostor"]
    impostor = tls_credentials(
        root_certificates=pki["ca"], private_key=impostor_key, certificate_chain=impostor_cert
    )
    assert status_ok(server.target, impostor) == grpc.StatusCode.UNAVAILABLE
    with ServingClient(server.target, "m", credentials=no_cert, retries=0) as client:
        with pytest.raises(ServingError):
            client.classify(["abc"], timeout=5)


def _ssl_config_text(key, cert, ca=b"", verify=False):
    def quoted(pem):
        return '"' + pem.decode().replace("\n", "\\n") + '"'

    lines = [f"server_key: {quoted(key)}", f"server_cert: {quoted(cert)}"]
    if ca:
        lines.append(f"custom_ca: {quoted(ca)}")
    if verify:
        lines.append("client_verify: true")
    return "\n".join(lines) + "\n"


def test_ssl_config_file_flag_serves_mutual_tls(pki, model_base, tmp_path, serve):
    key, cert = pki["server"]
    path = tmp_path / "ssl.config"
    path.write_text(_ssl_config_text(key, cert, pki["ca"], verify=True))
    parser = flags.add_flags(argparse.ArgumentParser())
    args = flags.check_flags(
        parser.parse_args(
            [
                "--port=0",
                "--model_name=m",
                f"--model_base_path={model_base}",
                "--file_system_poll_wait_seconds=0",
                f"--ssl_config_file={path}",
            ]
        )
    )
    server = serve(options=ServerOptions.from_flags(args))
    client_key, client_cert = pki["client"]
    good = tls_credentials(
        root_certificates=pki["ca"], private_key=client_key, certificate_chain=client_cert
    )
    assert status_ok(server.target, good) is True
    assert status_ok(server.target, None) == grpc.StatusCode.UNAVAILABLE


def test_bad_ssl_configs_are_refused_naming_the_flag(pki, tmp_path):
    key, cert = pki["server"]
    cases = [
        ("server_key: 'x'", "server_key and server_cert"),
        (_ssl_config_text(key, cert, verify=True), "client_verify needs custom_ca"),
        ('server_key: "/etc/key.pem"\nserver_cert: "/etc/cert.pem"', "PEM text itself"),
        ("no_such_field: 1", "is not a SSLConfig text proto"),
    ]
    for index, (text, message) in enumerate(cases):
        path = tmp_path / f"ssl{index}.config"
        path.write_text(text)
        with pytest.raises(ConfigError, match=message) as caught:
            tls.read_ssl_config(str(path))
        assert caught.value.field == "--ssl_config_file"


def test_unix_socket_next_to_mutual_tls_is_refused(pki, model_base, tmp_path, serve):
    # The socket has no TLS: it would let any local process in without a client certificate.
    key, cert = pki["server"]
    mutual = tls.make_ssl_config(key, cert, custom_ca=pki["ca"], client_verify=True)
    config_list = single_model_config("m", str(model_base))
    with pytest.raises(ConfigError) as caught:
        ServerOptions(
            config_list=config_list, grpc_socket_path=str(tmp_path / "s"), ssl_config=mutual
        )
    assert caught.value.field == "--grpc_socket_path"
    assert "bypass the mutual TLS" in str(caught.value)
    # Server-only TLS authenticates no client on either way in: the socket is allowed.
    server_only = tls.make_ssl_config(key, cert)
    socket_path = tmp_path / "server-only.sock"
    serve(config_list=config_list, grpc_socket_path=str(socket_path), ssl_config=server_only)
    assert status_ok(f"unix:{socket_path}", None) is True
