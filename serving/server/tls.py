"""TLS and mutual TLS for the gRPC port, from TensorFlow Serving's `--ssl_config_file`.

The file is TensorFlow Serving's `SSLConfig` text proto, whose fields hold
PEM *contents* (not paths), as tensorflow_model_server reads them:

```
server_key: "-----BEGIN PRIVATE KEY-----\n..."
server_cert: "-----BEGIN CERTIFICATE-----\n..."
custom_ca: "-----BEGIN CERTIFICATE-----\n..."   # CA of the client certificates
client_verify: true                               # mutual TLS
```

With `client_verify`, a client must present a certificate signed by
`custom_ca`, else the handshake fails (the client sees UNAVAILABLE). As in
tensorflow_model_server, the config secures the gRPC port only; the REST port
stays plain HTTP (put it behind a TLS proxy, or leave it off). Clients
connect with `serving.client.tls_credentials(root_certificates=...,
private_key=..., certificate_chain=...)`.
"""

import grpc

from serving.server import config_protos
from tfcharnlp.errors import ConfigError

FLAG = "--ssl_config_file"


def check_ssl_config(ssl_config):
    """ConfigError naming the field for a config gRPC would only reject at bind time."""
    if not ssl_config.server_key or not ssl_config.server_cert:
        raise ConfigError(FLAG, "server_key and server_cert (PEM contents) are both required")
    for field in ("server_key", "server_cert", "custom_ca"):
        value = getattr(ssl_config, field)
        if value and "-----BEGIN" not in value:
            raise ConfigError(
                FLAG, f"{field} must hold the PEM text itself (-----BEGIN ...), not a file path"
            )
    if ssl_config.client_verify and not ssl_config.custom_ca:
        raise ConfigError(FLAG, "client_verify needs custom_ca, the CA of the client certificates")
    return ssl_config


def server_credentials(ssl_config):
    """`grpc.ServerCredentials` for an `SSLConfig` (TensorFlow Serving's server.cc mapping)."""
    check_ssl_config(ssl_config)
    return grpc.ssl_server_credentials(
        [(ssl_config.server_key.encode("utf-8"), ssl_config.server_cert.encode("utf-8"))],
        root_certificates=ssl_config.custom_ca.encode("utf-8") if ssl_config.custom_ca else None,
        require_client_auth=bool(ssl_config.client_verify),
    )


def read_ssl_config(path):
    """`--ssl_config_file` -> checked `SSLConfig`."""
    return check_ssl_config(config_protos.read_ssl_config(path))


def make_ssl_config(server_key, server_cert, custom_ca=b"", client_verify=False):
    """An `SSLConfig` from PEM bytes or text (for tests and embedding)."""

    def text(value):
        return value.decode("utf-8") if isinstance(value, bytes) else (value or "")

    return check_ssl_config(
        config_protos.SSLConfig(
            server_key=text(server_key),
            server_cert=text(server_cert),
            custom_ca=text(custom_ca),
            client_verify=client_verify,
        )
    )
