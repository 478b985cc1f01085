"""Subcommands owned by `serving` (`serve`, `query`, `push`).

Each subcommand is one `(name, add_arguments, handler)` entry in
SUBCOMMANDS; handlers import TensorFlow lazily so `tfcharnlp --help` stays fast.
"""


def _add_serve_arguments(parser):
    from serving.server import flags

    flags.add_flags(parser)


def _run_serve(args):
    """Serves until SIGTERM / SIGINT, then drains requests in flight and exits 0."""
    import signal
    import threading

    from serving.server import flags

    # Refused flags are reported before TensorFlow is imported (seconds saved).
    flags.check_flags(args)
    # Handlers first: a SIGTERM during the (slow) TensorFlow import or model
    # load must still mean "drain and exit 0", not the default kill.
    stop = threading.Event()
    received = []

    def on_signal(signum, _frame):
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    from serving.server.events import log_event
    from serving.server.options import ServerOptions
    from serving.server.server import ModelServer

    server = ModelServer(ServerOptions.from_flags(args)).start()
    print(f"tfcharnlp serve: listening on {server.host}:{server.port}", flush=True)
    while not stop.wait(1.0):
        pass
    log_event("signal_received", signal=received[0] if received else None)
    server.stop(grace=args.drain_seconds)
    return 0


def _add_query_arguments(parser):
    from serving.client import query_command

    query_command.add_arguments(parser)


def _run_query(args):
    from serving.client import query_command

    return query_command.run(args)


def _add_push_arguments(parser):
    from serving import push

    push.add_arguments(parser)


def _run_push(args):
    from serving import push

    return push.run(args)


SUBCOMMANDS = (
    (
        "serve",
        "serve SavedModels over TensorFlow Serving's gRPC API (tensorflow_model_server's flags)",
        _add_serve_arguments,
        _run_serve,
    ),
    (
        "query",
        "send texts to a served model and print its predictions (TF Serving's gRPC API)",
        _add_query_arguments,
        _run_query,
    ),
    (
        "push",
        "validate a candidate SavedModel in a sandboxed server, then publish it as the next version",
        _add_push_arguments,
        _run_push,
    ),
)


def register(subparsers):
    """Adds every entry of SUBCOMMANDS (`serve`, `query`, `push`) to the `tfcharnlp` command."""
    for name, help_text, add_arguments, handler in SUBCOMMANDS:
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        add_arguments(parser)
        parser.set_defaults(func=handler)
