"""`export_model`: a trained model (object or training folder) -> a new repository version.

Every export is CPU-portable (see `cpu_portable`): the graph is traced
without cuDNN-only ops and in float32, and checked for both after writing,
so a model trained on GPUs serves on the CPU `tensorflow/serving` image.
"""

import logging
import pathlib

from tfcharnlp.constants import DEFAULT_MODEL_BASE
from tfcharnlp.errors import ExportError
from tfcharnlp.export.classifier_exporter import ClassifierExporter
from tfcharnlp.export.cpu_portable import cpu_portable, describe_non_portable, non_portable_ops
from tfcharnlp.export.generator_exporter import GeneratorExporter
from tfcharnlp.export.model_repository import ModelRepository
from tfcharnlp.training import model_folder

logger = logging.getLogger(__name__)


def is_language_model(model):
    """True for a model the generator exporter can drive (it has a single-step function)."""
    return callable(getattr(model, "next_token_logits", None))


def load_trained_model(model_dir):
    """(model, labels or None, training config dict) from a `tfcharnlp train` folder."""
    if not model_folder.is_trained_folder(model_dir):
        raise ExportError(
            f"no {model_folder.MODEL_FILE} in {model_dir}: pass the folder `tfcharnlp train` wrote"
        )
    return model_folder.load_trained(model_dir)


def export_model(
    model_dir_or_model,
    base,
    model_name,
    version=None,
    labels=None,
    training_config=None,
    **exporter_kwargs,
):
    """Exports a classifier or a char language model as `<base>/<model_name>/<version>/`.

    The kind is told from the model: one with `next_token_logits` is exported
    by `GeneratorExporter`, anything else by `ClassifierExporter`. The write
    is atomic (see `ModelRepository.write`).

    Args:
        model_dir_or_model: a Keras model (with `.preprocessor`), or the
            folder `tfcharnlp train` wrote (`model.keras`,
            `label_vocabulary.txt`, `train_config.json`).
        base: the model repository root.
        model_name: the model's folder (and servable) name.
        version: int, or None for the next integer.
        labels: class names, index = class id; read from the folder when
            exporting a folder. For a classifier without labels, the class
            ids written as strings are used, with a warning.
        training_config: dict stored as `training_config.json`; read from the
            folder's `train_config.json` when exporting a folder.
        **exporter_kwargs: passed to the exporter (e.g. `warmup_texts`,
            `max_generation_length`).

    Returns:
        pathlib.Path of the published version folder.

    Example:

    ```python
    path = export_model("runs/ag_news", base="models", model_name="ag_news")
    ```
    """
    if isinstance(model_dir_or_model, (str, pathlib.Path)):
        model, folder_labels, folder_config = load_trained_model(model_dir_or_model)
        labels = labels if labels is not None else folder_labels
        training_config = training_config if training_config is not None else folder_config
    else:
        model = model_dir_or_model
    if training_config is None:
        training_config = {}
    if is_language_model(model):
        exporter = GeneratorExporter(
            model, training_config=training_config, model_name=model_name, **exporter_kwargs
        )
    else:
        if labels is None:
            labels = _default_labels(model)
        exporter = ClassifierExporter(
            model, labels, training_config=training_config, model_name=model_name, **exporter_kwargs
        )
    repository = ModelRepository(base)
    with repository.write(model_name, version=version) as staged:
        with cpu_portable(model, getattr(model, "preprocessor", None)):
            exporter.write(staged.folder)
        left = non_portable_ops(staged.folder)
        if left:
            raise ExportError(
                "the exported graph would not run on a CPU server in float32: "
                + describe_non_portable(left)
            )
    logger.info("exported %s version %d to %s", model_name, staged.version, staged.path)
    return staged.path


def export_trained(result, base=None, model_name=None, extra_config=None, **exporter_kwargs):
    """Exports what `train()` returned as the next version of `base/model_name`.

    Defaults: `base` is the config's `export_base` (else `models`), the name
    its `model_name` (else the family). The SavedModel's training config is
    the run's `train_config.json`, plus `extra_config` (e.g. where it was tuned).
    """
    config = result.config
    return pathlib.Path(
        export_model(
            result.model,
            base=pathlib.Path(base or config.export_base or DEFAULT_MODEL_BASE),
            model_name=model_name or config.model_name or config.family,
            labels=result.labels,
            training_config={**result.recorded_config, **(extra_config or {})},
            **exporter_kwargs,
        )
    )


def _default_labels(model):
    num_classes = model.output_shape[-1] if hasattr(model, "output_shape") else None
    if not isinstance(num_classes, int):
        raise ExportError("the classifier's number of classes is unknown: pass labels=")
    logger.warning(
        "no label names given: the exported labels are the class ids %d..%d", 0, num_classes - 1
    )
    return [str(index) for index in range(num_classes)]
