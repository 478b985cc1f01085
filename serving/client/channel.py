"""The client's gRPC channel: message size limits, extra options, TLS credentials."""

import os

import grpc

# gRPC's default 4 MiB receive limit is too small for a few thousand texts.
DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024


def channel_options(max_message_size=DEFAULT_MAX_MESSAGE_SIZE, extra=()):
    """gRPC channel options: message size limits both ways, plus `extra` pairs."""
    return [
        ("grpc.max_send_message_length", int(max_message_size)),
        ("grpc.max_receive_message_length", int(max_message_size)),
        *extra,
    ]


def open_channel(channels, target, credentials=None, options=()):
    """A channel to `target` from `channels` (`grpc` or `grpc.aio`); TLS when `credentials`."""
    if credentials is None:
        return channels.insecure_channel(target, options=options)
    return channels.secure_channel(target, credentials, options=options)


def tls_credentials(root_certificates=None, private_key=None, certificate_chain=None):
    """`grpc.ssl_channel_credentials` from PEM files or bytes.

    Args:
        root_certificates: CA certificate(s) that signed the server's certificate
            (None: the system's roots).
        private_key: the client's key, for mutual TLS.
        certificate_chain: the client's certificate, for mutual TLS.
    """

    def read(value):
        if value is None or isinstance(value, bytes):
            return value
        with open(os.fspath(value), "rb") as stream:
            return stream.read()

    if (private_key is None) != (certificate_chain is None):
        raise ValueError("mutual TLS needs both private_key and certificate_chain")
    return grpc.ssl_channel_credentials(
        root_certificates=read(root_certificates),
        private_key=read(private_key),
        certificate_chain=read(certificate_chain),
    )
