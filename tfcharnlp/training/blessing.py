"""The blessing: is a candidate classifier at least as good as the served one, on labelled data?

TFX's Evaluator compares a candidate with the baseline (the model in
service) on an evaluation split and "blesses" it only when it passes the
thresholds; its Pusher publishes blessed models only. `bless` is that
step for `tfcharnlp push --baseline FILE`: both SavedModels score the same
rows of FILE through their serving signatures (as a server would run
them), and the candidate is blessed when

    candidate[metric] - baseline[metric] >= min_improvement

(default 0: at least as good). With no served version there is nothing to
compare with, and the candidate is blessed on its own numbers, as TFX's
Evaluator blesses the first model of a pipeline. A serving signature, a
model family or a label set that differs from the served model's is a
warning: a client of the served model may break, or the two are not the
same kind of model at all.
"""

import dataclasses
import datetime
import json
import pathlib
from typing import Optional

from tfcharnlp import constants
from tfcharnlp.errors import ConfigError

METRICS = ("accuracy", "macro_f1")
BLESSING_FILE = "blessing.json"  # in a pushed version's assets.extra/, beside the warmup file


@dataclasses.dataclass
class ModelScore:
    """One model's numbers on the blessing data.

    Args:
        path: its SavedModel folder.
        accuracy, macro_f1: its scores on the shared rows.
        examples: rows scored.
        family: the family its training config names, or None.
    """

    path: str
    accuracy: float
    macro_f1: float
    examples: int
    family: Optional[str] = None


@dataclasses.dataclass
class Blessing:
    """The comparison `bless` made, and its verdict.

    Args:
        blessed: True when the candidate may be published.
        metric: "accuracy" or "macro_f1".
        min_improvement: the margin the candidate had to reach over the baseline.
        data: the labelled source both were scored on.
        candidate: the candidate's `ModelScore`.
        baseline: the served version's `ModelScore`, or None when none is served.
        rows: counts of the rows read, scored and left out (see `LabelledRows.details`).
        warnings: sentences about differences a publisher must see.
        reason: why it was not blessed ("" when blessed).
    """

    blessed: bool
    metric: str
    min_improvement: float
    data: str
    candidate: ModelScore
    baseline: Optional[ModelScore]
    rows: dict
    warnings: list = dataclasses.field(default_factory=list)
    reason: str = ""

    @property
    def improvement(self):
        """Candidate minus baseline on the metric, or None without a baseline."""
        if self.baseline is None:
            return None
        return getattr(self.candidate, self.metric) - getattr(self.baseline, self.metric)

    def verdict(self):
        """One line: `blessed: accuracy 0.9100 against the served version's 0.8800 (+0.0300 >= +0.0000)`."""
        mine = f"{self.metric} {getattr(self.candidate, self.metric):.4f}"
        if self.baseline is None:
            return f"blessed: {mine}, no served version to compare with"
        against = (
            f"against the served version's {getattr(self.baseline, self.metric):.4f} "
            f"({self.improvement:+.4f} {'>=' if self.blessed else '<'} {self.min_improvement:+.4f})"
        )
        return f"{'blessed' if self.blessed else 'NOT blessed'}: {mine} {against}"

    def summary(self):
        """A few lines: both models' scores, the verdict and the warnings."""
        lines = [f"blessing on {self.data} ({self.candidate.examples} rows, metric {self.metric}):"]
        for name, score in (("candidate", self.candidate), ("served", self.baseline)):
            if score is not None:
                lines.append(
                    f"  {name:<9} accuracy {score.accuracy:.4f}  macro F1 {score.macro_f1:.4f}"
                    f"  ({score.path})"
                )
        lines.append(f"  {self.verdict()}")
        lines.extend(f"  warning: {warning}" for warning in self.warnings)
        return "\n".join(lines)

    def to_dict(self):
        result = dataclasses.asdict(self)
        result["improvement"] = self.improvement
        result["evaluated_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
        return result

    def save(self, version_dir):
        """Writes `assets.extra/blessing.json` into a version folder; returns its path."""
        path = pathlib.Path(version_dir) / constants.ASSETS_EXTRA_DIR / BLESSING_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


def _family(path):
    """The `family` of a SavedModel's training config asset, or None."""
    config = pathlib.Path(path) / constants.ASSETS_DIR / constants.TRAINING_CONFIG_ASSET
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("family")
    except (OSError, ValueError, AttributeError):
        return None


def _signature_layout(classifier):
    """{"inputs"/"outputs": {name: (dtype, shape)}} of a classifier's serving signature."""
    signature = classifier.signature

    def layout(specs):
        return {
            name: (spec.dtype.name, spec.shape.as_list() if spec.shape.rank is not None else None)
            for name, spec in specs.items()
        }

    return {
        "inputs": layout(signature.structured_input_signature[1]),
        "outputs": layout(signature.structured_outputs),
    }


def _score(classifier, rows, family):
    """The `ModelScore` of `classifier` on `rows`, each row's label mapped to its own class id."""
    from tfcharnlp.training.evaluation_report import EvaluationReport

    index = {label: position for position, label in enumerate(classifier.labels)}
    probabilities = classifier.probabilities(rows.texts)
    report = EvaluationReport.from_predictions(
        [index[label] for label in rows.labels],
        probabilities.argmax(axis=-1),
        classifier.labels,
    )
    return ModelScore(
        path=str(classifier.path),
        accuracy=float(report.accuracy),
        macro_f1=float(report.macro_f1),
        examples=report.total,
        family=family,
    )


def _differences(candidate, baseline):
    """Warnings when the candidate does not look like the served model to its clients."""
    warnings = []
    ours, theirs = _signature_layout(candidate), _signature_layout(baseline)
    for part in ("inputs", "outputs"):
        if ours[part] != theirs[part]:
            warnings.append(
                f"the candidate's {constants.SERVING_SIGNATURE} {part} differ from the served "
                f"version's: {ours[part]} vs {theirs[part]}; its clients may break"
            )
    families = _family(candidate.path), _family(baseline.path)
    if families[0] != families[1]:
        warnings.append(
            f"the candidate is a {families[0] or 'model of unknown family'}, the served version "
            f"a {families[1] or 'model of unknown family'}"
        )
    if list(candidate.labels) != list(baseline.labels):
        warnings.append(
            f"the labels differ (candidate {list(candidate.labels)}, served "
            f"{list(baseline.labels)}); both were scored on the rows whose label both know"
        )
    return warnings


def bless(
    candidate_dir, baseline_dir, data, metric="accuracy", min_improvement=0.0, candidate_name=None
):
    """Scores the candidate and the served version on `data`; a `Blessing`.

    Args:
        candidate_dir: the candidate SavedModel (a classifier).
        candidate_name: the candidate's path as reported (default `candidate_dir`;
            push scores a sandboxed copy of the folder the user named).
        baseline_dir: the served version's SavedModel, or None when none is served.
        data: the labelled `DataConfig` both are scored on.
        metric: one of `METRICS`.
        min_improvement: the margin over the baseline the candidate needs (may be negative
            to allow a small loss).

    Raises:
        ConfigError: an unknown metric, or a model that is not a classifier.
        DataError: the data cannot be read, or fewer than half of its rows can be scored.
    """
    from tfcharnlp.training.labelled_rows import read_labelled_rows
    from tfcharnlp.training.model_folder import load_classifier

    if metric not in METRICS:
        raise ConfigError("metric", f"expected one of {', '.join(METRICS)}, got {metric!r}")
    candidate = load_classifier(candidate_dir)
    baseline = load_classifier(baseline_dir) if baseline_dir is not None else None
    shared = [label for label in candidate.labels if baseline is None or label in baseline.labels]
    rows = read_labelled_rows(data, shared)
    rows.check_coverage()
    warnings = [rows.left_out()] if rows.left_out() else []
    candidate_score = _score(candidate, rows, _family(candidate_dir))
    candidate_score.path = str(candidate_name or candidate_dir)
    baseline_score = None
    if baseline is not None:
        warnings = _differences(candidate, baseline) + warnings
        baseline_score = _score(baseline, rows, _family(baseline_dir))
    blessing = Blessing(
        blessed=True,
        metric=metric,
        min_improvement=float(min_improvement),
        data=str(data.path),
        candidate=candidate_score,
        baseline=baseline_score,
        rows=rows.details()["rows"],
        warnings=warnings,
    )
    if baseline_score is not None and blessing.improvement < min_improvement:
        blessing.blessed = False
        blessing.reason = (
            f"{metric} {getattr(candidate_score, metric):.4f} is "
            f"{blessing.improvement:+.4f} against the served version's "
            f"{getattr(baseline_score, metric):.4f}; it needs >= {min_improvement:+.4f}"
        )
    return blessing
