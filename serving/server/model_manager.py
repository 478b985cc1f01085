"""Model versions: file-system polling, version policies, load / unload, states, routing.

A version goes START -> LOADING -> AVAILABLE -> UNLOADING -> END, or
START -> LOADING -> END with an error when it cannot be loaded or warmed
up. Like TensorFlow Serving's availability-preserving policy, a new version
is loaded and warmed up before the versions it replaces are unloaded, and
nothing is unloaded while no wanted version is available: a broken new
version leaves the previous one serving. Unloading waits for the requests in
flight on that version.

Requests read an immutable routing table (`_routes`) replaced as a whole on
every change, so the request path takes no manager lock.
"""

import contextlib
import logging
import threading
import time

import grpc
import tensorflow as tf
from tensorflow_serving.apis import get_model_status_pb2

from serving.server import model_config, status
from serving.server.events import log_event
from serving.server.servable import Servable
from serving.server.warmup import run_warmup

State = get_model_status_pb2.ModelVersionStatus.State
_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}

# The metric label of models and signatures that do not exist.
UNKNOWN_LABEL = "__unknown__"
# How long an unload waits for requests in flight before dropping the model anyway.
UNLOAD_DRAIN_SECONDS = 60.0


class _Version:
    __slots__ = ("version", "path", "state", "error", "servable", "stamp", "failed")

    def __init__(self, version, path):
        self.version = version
        self.path = path
        self.state = State.START
        self.error = None
        self.servable = None
        self.stamp = None
        self.failed = None


class _Model:
    __slots__ = ("config", "versions", "removed")

    def __init__(self, config):
        self.config = config
        self.versions = {}
        self.removed = False


class _Route:
    __slots__ = ("latest", "by_version", "labels")

    def __init__(self, latest, by_version, labels):
        self.latest = latest
        self.by_version = by_version
        self.labels = labels


def _load_error(error, name, version, path):
    if isinstance(error, status.StatusError):
        code, message = error.code, error.message
    elif isinstance(error, tf.errors.OpError):
        code, message = _GRPC_CODES.get(error.error_code, grpc.StatusCode.UNKNOWN), error.message
    elif isinstance(error, FileNotFoundError):
        code, message = grpc.StatusCode.NOT_FOUND, str(error)
    else:
        code, message = grpc.StatusCode.UNKNOWN, f"{type(error).__name__}: {error}"
    message = message.strip().splitlines()[0] if message.strip() else type(error).__name__
    return status.StatusError(
        code, f"Failed to load servable {name} version {version} from {path}: {message}"
    )


class ModelManager:
    """Loads, serves and unloads the versions of the configured models.

    Args:
        config_list: TensorFlow Serving `ModelConfigList`.
        batching: `BatchingOptions`, or None for no batching.
        file_system_poll_wait_seconds: seconds between file-system polls; 0 polls once.
        model_config_file: the config file to re-read, or None.
        model_config_file_poll_wait_seconds: seconds between re-reads; 0 never re-reads.
        enable_warmup: replay each version's warmup records before serving it.
        on_change: called with no argument after every routing change (health updates).
        servable_factory: `(name, version, path, batching) -> Servable` (tests inject faults).
        allow_version_labels_for_unavailable_models: TF Serving's flag: a config
            may label a version that is not AVAILABLE (yet); without it, such a
            config is refused (FAILED_PRECONDITION), at startup for every label.
    """

    def __init__(
        self,
        config_list,
        batching=None,
        file_system_poll_wait_seconds=1.0,
        model_config_file=None,
        model_config_file_poll_wait_seconds=0.0,
        enable_warmup=True,
        on_change=None,
        servable_factory=None,
        allow_version_labels_for_unavailable_models=False,
    ):
        model_config.check_model_config_list(config_list)
        self.allow_version_labels_for_unavailable_models = (
            allow_version_labels_for_unavailable_models
        )
        self.batching = batching
        self.file_system_poll_wait_seconds = file_system_poll_wait_seconds
        self.model_config_file = model_config_file
        self.model_config_file_poll_wait_seconds = model_config_file_poll_wait_seconds
        self.enable_warmup = enable_warmup
        self.on_change = on_change
        self._factory = servable_factory or (
            lambda name, version, path, batching: Servable(name, version, path, batching).load()
        )
        self._models = {config.name: _Model(config) for config in config_list.config}
        self._routes = {}
        # TensorFlow Serving checks the labels before it loads anything.
        self._check_version_labels(config_list)
        self._poll_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._config_text = None
        self._config_checked = time.monotonic()

    # ----- lifecycle

    def start(self):
        """Loads what the config asks for, then polls in the background."""
        if self.model_config_file:
            self._config_text = self._read_config_text()
        self.poll()
        if self.file_system_poll_wait_seconds > 0 or self.model_config_file_poll_wait_seconds > 0:
            self._thread = threading.Thread(
                target=self._poll_loop, name="model-manager-poll", daemon=True
            )
            self._thread.start()
        return self

    def stop(self):
        """Stops polling and unloads every version (waiting for requests in flight)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._poll_lock:
            for model in self._models.values():
                for entry in list(model.versions.values()):
                    if entry.state == State.AVAILABLE:
                        self._unload(model, entry, rebuild=False)
            self._rebuild_routes()

    def _poll_loop(self):
        intervals = [
            s
            for s in (self.file_system_poll_wait_seconds, self.model_config_file_poll_wait_seconds)
            if s > 0
        ]
        wait = min(intervals)
        while not self._stop.wait(wait):
            try:
                if self.model_config_file and self.model_config_file_poll_wait_seconds > 0:
                    if (
                        time.monotonic() - self._config_checked
                        >= self.model_config_file_poll_wait_seconds
                    ):
                        self._check_config_file()
                if self.file_system_poll_wait_seconds > 0:
                    self.poll()
            except Exception as error:  # noqa: BLE001 - the poller must survive anything
                log_event("poll_failed", error=f"{type(error).__name__}: {error}")

    def _read_config_text(self):
        with open(self.model_config_file, encoding="utf-8") as stream:
            return stream.read()

    def _check_config_file(self):
        self._config_checked = time.monotonic()
        try:
            text = self._read_config_text()
        except OSError as error:
            log_event("config_read_failed", path=self.model_config_file, error=error)
            return
        if text == self._config_text:
            return
        try:
            config_list = model_config.model_config_list(
                model_config.parse_model_server_config(text, source=self.model_config_file)
            )
        except status.StatusError as error:
            log_event("config_rejected", path=self.model_config_file, error=error.message)
            self._config_text = text
            return
        self._config_text = text
        log_event("config_file_changed", path=self.model_config_file)
        try:
            self.reload(config_list)
        except status.StatusError as error:
            # The running config stays, as when TensorFlow Serving refuses a reload.
            log_event("config_rejected", path=self.model_config_file, error=error.message)

    # ----- config

    def reload(self, config_list):
        """Replaces the whole model config (TensorFlow Serving's ReloadConfig semantics).

        Models no longer listed are unloaded, new ones loaded, changed ones
        re-read with their new policy, labels and base path (new versions
        load before old ones unload); returns once the file system was polled
        with the new config.
        """
        model_config.check_model_config_list(config_list)
        with self._poll_lock:
            self._check_version_labels(config_list)
            wanted = {config.name: config for config in config_list.config}
            for name, model in list(self._models.items()):
                # A changed base_path keeps the model: the next poll loads the
                # new folder's versions before unloading the old ones.
                if not model.removed and name not in wanted:
                    for entry in list(model.versions.values()):
                        if entry.state == State.AVAILABLE:
                            self._unload(model, entry, rebuild=False)
                    model.removed = True
                    log_event("model_removed", model=name)
            for name, config in wanted.items():
                model = self._models.get(name)
                if model is None or model.removed:
                    with self._state_lock:
                        self._models[name] = _Model(config)
                    log_event("model_added", model=name, base_path=config.base_path)
                else:
                    model.config = config
            self._rebuild_routes()
            self.poll()

    def _check_version_labels(self, config_list):
        """TensorFlow Serving's UpdateModelVersionLabelMap, run before the config is applied.

        A label must point at a version that is AVAILABLE now. With
        `allow_version_labels_for_unavailable_models` it may point anywhere,
        except that an existing label still moves only to an available version.
        """
        for config in config_list.config:
            route = self._routes.get(config.name)
            available = route.by_version if route is not None else {}
            existing = route.labels if route is not None else {}
            for label, version in config.version_labels.items():
                if version in available:
                    continue
                moved = label in existing and existing[label] != version
                if self.allow_version_labels_for_unavailable_models and not moved:
                    continue
                raise status.failed_precondition(
                    f"Request to assign label to version {version} of model {config.name}, "
                    "which is not currently available for inference"
                )

    def config_names(self):
        return [name for name, model in self._models.items() if not model.removed]

    # ----- polling, loading, unloading

    def poll(self):
        """One pass over every model's base path: load, retry, unload per policy."""
        with self._poll_lock:
            for model in list(self._models.values()):
                if not model.removed:
                    self._poll_model(model)

    def _poll_model(self, model):
        config = model.config
        found = model_config.scan_versions(config.base_path)
        aspired = model_config.aspired_versions(config, found)
        for version in sorted(aspired, reverse=True):
            entry = model.versions.get(version)
            if entry is None:
                self._load(model, version, found[version])
            elif entry.state == State.END:
                # A failed version is retried once its folder changed (a copy
                # that was still running); an unloaded one when wanted again.
                if entry.error is None or model_config.folder_stamp(found[version]) != entry.stamp:
                    self._load(model, version, found[version])
            elif entry.state == State.AVAILABLE and entry.path != found[version]:
                # Same version number under a new base_path: swap it in place.
                self._replace(model, entry, found[version])
        serving_wanted = any(
            model.versions[v].state == State.AVAILABLE for v in aspired if v in model.versions
        )
        if serving_wanted or not aspired:
            for version, entry in list(model.versions.items()):
                if version not in aspired and entry.state == State.AVAILABLE:
                    self._unload(model, entry)

    def _load(self, model, version, path):
        name = model.config.name
        entry = _Version(version, path)
        entry.stamp = model_config.folder_stamp(path)
        with self._state_lock:
            model.versions[version] = entry
        entry.state = State.LOADING
        log_event("version_loading", model=name, version=version, path=path)
        started = time.monotonic()
        servable = None
        try:
            servable = self._factory(name, version, path, self.batching)
            warmed = run_warmup(servable) if self.enable_warmup else 0
        except Exception as error:  # noqa: BLE001 - any load failure is reported, never raised
            if servable is not None:
                servable.close(timeout=0)
            entry.error = _load_error(error, name, version, path)
            entry.state = State.END
            log_event("version_load_failed", model=name, version=version, error=entry.error.message)
            return
        entry.servable = servable
        entry.state = State.AVAILABLE
        log_event(
            "version_available",
            model=name,
            version=version,
            warmup_records=warmed,
            seconds=f"{time.monotonic() - started:.3f}",
        )
        self._rebuild_routes()

    def _replace(self, model, entry, path):
        """Loads `path` for an AVAILABLE version, then swaps it in; the old one drains."""
        name = model.config.name
        stamp = model_config.folder_stamp(path)
        if entry.failed == (path, stamp):
            return
        log_event("version_reloading", model=name, version=entry.version, path=path)
        servable = None
        try:
            servable = self._factory(name, entry.version, path, self.batching)
            if self.enable_warmup:
                run_warmup(servable)
        except Exception as error:  # noqa: BLE001 - the serving copy stays in place
            if servable is not None:
                servable.close(timeout=0)
            entry.failed = (path, stamp)
            message = _load_error(error, name, entry.version, path).message
            log_event("version_reload_failed", model=name, version=entry.version, error=message)
            return
        old = entry.servable
        entry.servable, entry.path, entry.stamp, entry.failed = servable, path, stamp, None
        self._rebuild_routes()
        old.close(timeout=UNLOAD_DRAIN_SECONDS)
        log_event("version_reloaded", model=name, version=entry.version, path=path)

    def _unload(self, model, entry, rebuild=True):
        entry.state = State.UNLOADING
        if rebuild:
            self._rebuild_routes()
        log_event(
            "version_unloading",
            model=model.config.name,
            version=entry.version,
            in_flight=entry.servable.in_flight,
        )
        entry.servable.close(timeout=UNLOAD_DRAIN_SECONDS)
        entry.servable = None
        entry.state = State.END
        log_event("version_unloaded", model=model.config.name, version=entry.version)

    def _rebuild_routes(self):
        routes = {}
        for name, model in self._models.items():
            if model.removed:
                continue
            available = {
                v: e.servable for v, e in model.versions.items() if e.state == State.AVAILABLE
            }
            latest = available[max(available)] if available else None
            routes[name] = _Route(latest, available, dict(model.config.version_labels))
        self._routes = routes
        if self.on_change is not None:
            self.on_change()

    # ----- request path

    def acquire(self, model_spec):
        """The servable a request's ModelSpec asks for, counted in-flight.

        The caller must `release()` it (`servable_handle` does). Raises
        NOT_FOUND in TensorFlow Serving's wording for unknown models and versions.
        """
        name = model_spec.name
        choice = model_spec.WhichOneof("version_choice")
        for _ in range(3):
            route = self._routes.get(name)
            if choice == "version":
                version = model_spec.version.value
                servable = route.by_version.get(version) if route else None
                if servable is None:
                    raise status.servable_not_found(name, version)
            elif choice == "version_label":
                label = model_spec.version_label
                if route is None or label not in route.labels:
                    raise status.unknown_version_label(label)
                version = route.labels[label]
                servable = route.by_version.get(version)
                if servable is None:
                    raise status.servable_not_found(name, version)
            else:
                servable = route.latest if route else None
                if servable is None:
                    raise status.servable_not_found(name)
            if servable.acquire():
                return servable
            # Unloaded between reading the routes and counting in: read them again.
        raise status.servable_not_found(
            name, model_spec.version.value if choice == "version" else None
        )

    @contextlib.contextmanager
    def servable_handle(self, model_spec):
        """`with manager.servable_handle(spec) as servable:` - acquired, released on exit.

        TensorFlow Serving's ServableHandle: the version cannot unload while
        a request holds it. With debug logging (`tfcharnlp -v serve`) each
        request that reaches a version is a `request_started` event, so a log
        shows which version served it and that a drain will wait for it.
        """
        servable = self.acquire(model_spec)
        log_event(
            "request_started", level=logging.DEBUG, model=servable.name, version=servable.version
        )
        try:
            yield servable
        finally:
            servable.release()

    def known_labels(self, name, version, signature):
        """`(name, version, signature)` as metric labels, each kept only if it exists.

        A model that is not configured becomes `UNKNOWN_LABEL` (with no
        version or signature), a version with no entry here `""`, a signature
        the serving version lacks `UNKNOWN_LABEL`: requests naming random
        models cannot grow the metrics without bound.
        """
        model = self._models.get(name)
        if model is None or model.removed:
            return UNKNOWN_LABEL, "", ""
        if version is not None and version not in model.versions:
            version = None
        route = self._routes.get(name)
        servable = None
        if route is not None:
            servable = route.latest if version is None else route.by_version.get(version)
        if servable is None or signature not in servable.signatures:
            signature = UNKNOWN_LABEL
        return name, version, signature

    def available(self, name):
        route = self._routes.get(name)
        return route is not None and route.latest is not None

    # ----- status

    def version_states(self, name, version=None):
        """[(version, State, StatusError or None)] as GetModelStatus reports them, newest first."""
        with self._state_lock:
            model = self._models.get(name)
            entries = dict(model.versions) if model is not None else {}
        if version is not None:
            entry = entries.get(version)
            if entry is None:
                raise status.not_found(f"Could not find version {version} of model {name}")
            return [(version, entry.state, entry.error)]
        if not entries:
            raise status.not_found(f"Could not find any versions of model {name}")
        # TensorFlow Serving's ServableStateMonitor keeps versions in descending order.
        return [(v, entries[v].state, entries[v].error) for v in sorted(entries, reverse=True)]
