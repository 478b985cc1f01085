"""`tfcharnlp query`: send texts to a served model and print what it answers.

    tfcharnlp query --target localhost:8500 --model char_cnn "a fine film" "dull"
    tfcharnlp query --model char_gru --generate --length 200 --seed 7 "ROMEO:"
    cat texts.txt | tfcharnlp query --model char_cnn --json

Works against `tfcharnlp serve` and `tensorflow/serving` alike (it is a
`serving.client.ServingClient`). Only this module's handler imports the
client, so building the `tfcharnlp` parser stays cheap.
"""

import json
import sys

from tfcharnlp import constants
from tfcharnlp.errors import ConfigError

DEFAULT_TARGET = f"{constants.DEFAULT_HOST}:{constants.GRPC_PORT}"


def add_arguments(parser):
    parser.add_argument(
        "texts",
        nargs="*",
        metavar="TEXT",
        help="texts to classify (or prompts with --generate); none or '-': one per line from stdin",
    )
    parser.add_argument("--target", default=DEFAULT_TARGET, metavar="HOST:PORT", help="gRPC server")
    parser.add_argument("--model", required=True, help="the served model's name")
    selection = parser.add_mutually_exclusive_group()
    selection.add_argument("--version", type=int, help="a model version (default: the latest)")
    selection.add_argument("--label", help="a version label, e.g. stable")
    parser.add_argument(
        "--signature", default=constants.SERVING_SIGNATURE, help="the signature to call"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per request, retries included"
    )
    parser.add_argument("--retries", type=int, default=3, help="retries on UNAVAILABLE")
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to SECONDS for the model to be AVAILABLE",
    )
    parser.add_argument("--status", action="store_true", help="print the model's versions and exit")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    generation = parser.add_argument_group("generation (generator models)")
    generation.add_argument(
        "--generate", action="store_true", help="continue the prompts instead of classifying"
    )
    generation.add_argument("--length", type=int, default=100, help="characters to generate")
    generation.add_argument(
        "--temperature", type=float, default=1.0, help="sampling temperature (<= 0: greedy)"
    )
    generation.add_argument(
        "--top-k", type=int, default=0, help="sample among the k likeliest (0: all)"
    )
    generation.add_argument("--seed", type=int, help="same seed, same text (default: random)")
    tls = parser.add_argument_group("TLS (the server's --ssl_config_file)")
    tls.add_argument("--ca-cert", metavar="PEM", help="CA that signed the server's certificate")
    tls.add_argument("--client-cert", metavar="PEM", help="client certificate (mutual TLS)")
    tls.add_argument("--client-key", metavar="PEM", help="client key (mutual TLS)")
    tls.add_argument(
        "--server-name", help="the name in the server's certificate, if not the target host"
    )


def _read_texts(args):
    texts = list(args.texts)
    if not texts or texts == ["-"]:
        if sys.stdin is None or sys.stdin.isatty():
            raise ConfigError("texts", "give texts as arguments, or one per line on stdin")
        texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise ConfigError("texts", "no text to send")
    return texts


def _client(args):
    from serving.client.channel import tls_credentials
    from serving.client.sync_client import ServingClient

    if args.timeout <= 0:
        raise ConfigError("timeout", f"must be > 0 seconds, got {args.timeout}")
    for field in ("retries", "length"):
        if getattr(args, field) < 0:
            raise ConfigError(field, f"must be >= 0, got {getattr(args, field)}")
    if (args.client_cert is None) != (args.client_key is None):
        raise ConfigError("client_cert", "mutual TLS needs both --client-cert and --client-key")
    credentials = None
    options = []
    if args.ca_cert or args.client_cert:
        try:
            credentials = tls_credentials(args.ca_cert, args.client_key, args.client_cert)
        except OSError as error:
            raise ConfigError("ca_cert", f"cannot read a certificate: {error}") from error
        if args.server_name:
            options.append(("grpc.ssl_target_name_override", args.server_name))
    return ServingClient(
        args.target,
        args.model,
        version=args.version,
        version_label=args.label,
        timeout=args.timeout,
        retries=args.retries,
        credentials=credentials,
        channel_options=options,
    )


def run(args):
    texts = None if args.status else _read_texts(args)
    with _client(args) as client:
        if args.wait > 0:
            client.wait_until_available(timeout=args.wait)
        if args.status:
            for status in client.status():
                fields = {
                    "version": status.version,
                    "state": status.state,
                    "error_code": status.error_code,
                    "error_message": status.error_message,
                }
                if args.json:
                    print(json.dumps(fields, ensure_ascii=False))
                else:
                    error = (
                        f"\t{status.error_code}: {status.error_message}"
                        if status.error_message
                        else ""
                    )
                    print(f"version {status.version}\t{status.state}{error}")
            return 0
        if args.generate:
            generated = client.generate(
                texts,
                length=args.length,
                temperature=args.temperature,
                top_k=args.top_k,
                seed=args.seed,
                signature_name=args.signature,
            )
            for index, (prompt, text) in enumerate(zip(texts, generated, strict=True)):
                if args.json:
                    print(json.dumps({"prompt": prompt, "text": text}, ensure_ascii=False))
                else:
                    # Generated text spans lines; a blank line separates answers.
                    print(("\n" if index else "") + text)
            return 0
        predictions = client.classify(texts, signature_name=args.signature)
        for text, prediction in zip(texts, predictions, strict=True):
            if args.json:
                record = {
                    "text": text,
                    "label": prediction.label,
                    "class_id": prediction.class_id,
                    "probability": prediction.probability,
                    "probabilities": list(prediction.probabilities),
                }
                print(json.dumps(record, ensure_ascii=False))
            else:
                print(f"{prediction.label}\t{prediction.probability:.4f}\t{text}")
    return 0
