import csv
import glob
import json
import os
import types

import keras_tuner
import pytest

from tests.test_case import TestCase
from tests.tuning.stand_in import TinyHyperModel, tiny_data, tiny_hypermodel
from tfcharnlp.constants import BEST_HYPERPARAMETERS_FILE
from tfcharnlp.errors import ConfigError
from tfcharnlp.training import time_budget
from tuning import results, search_space, tuner_factory


def _hparams_tags(log_dir):
    from tensorboard.backend.event_processing import event_file_loader

    tags = set()
    for path in glob.glob(os.path.join(log_dir, "**", "events.out.tfevents.*"), recursive=True):
        for event in event_file_loader.EventFileLoader(path).Load():
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "hparams":
                    tags.add(value.tag)
    return tags


class TestTunerFactory(TestCase):
    @pytest.mark.integration
    def test_random_search_writes_results(self, tmp_path):
        tuner = tuner_factory.build_tuner(
            tiny_hypermodel(),
            "random",
            directory=tmp_path,
            project_name="p",
            max_trials=3,
            max_epochs=1,
        )
        data = tiny_data()
        log_dir = tmp_path / "p" / "tensorboard"
        tuner_factory.search(tuner, data, data, epochs=1, log_dir=log_dir)
        written = results.write_results(tuner)

        with open(written.best_hyperparameters) as f:
            config = json.load(f)
        best = keras_tuner.HyperParameters.from_config(config)
        assert os.path.basename(written.best_hyperparameters) == BEST_HYPERPARAMETERS_FILE
        assert best.values == tuner.get_best_hyperparameters()[0].values
        assert {hp.name for hp in best.space} == {"embedding_dim", "dropout", "learning_rate"}

        with open(written.trials_csv) as f:
            rows = list(csv.DictReader(f))
        assert [r["trial_id"] for r in rows] == ["0", "1", "2"]
        assert all(r["status"] == "COMPLETED" for r in rows)
        for row in rows:
            assert 0.0 <= float(row["val_accuracy"]) <= 1.0
            assert float(row["trial_seconds"]) > 0
            assert float(row["rss_mb"]) > 10
            assert row["embedding_dim"] in ("4", "8")
        # Each trial gets distinct values (random search never repeats).
        assert len({(r["embedding_dim"], r["dropout"], r["learning_rate"]) for r in rows}) == 3

        with open(written.plot, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        assert len(tuner.trial_rss_mb) == 3
        assert {
            "_hparams_/experiment",
            "_hparams_/session_start_info",
            "_hparams_/session_end_info",
        } <= _hparams_tags(str(log_dir))
        table = results.summary_table(
            written.records, written.objective, written.direction, ["embedding_dim"]
        )
        assert table.splitlines()[0].split()[:3] == ["trial", "status", "val_accuracy"]
        assert len(table.splitlines()) == 2 + 3

    @pytest.mark.integration
    def test_hyperband_promotes_trials_and_survives_a_lost_checkpoint(self, tmp_path):
        tuner = tuner_factory.build_tuner(
            tiny_hypermodel(),
            "hyperband",
            directory=tmp_path,
            project_name="hb",
            max_trials=4,
            max_epochs=2,
            hyperband_factor=2,
        )
        data = tiny_data(rows=64)
        tuner_factory.search(tuner, data, data, epochs=2)
        records = results.trial_records(tuner.oracle)
        assert len(records) == 4
        assert all(r.status == "COMPLETED" for r in records)
        promoted = [r for r in records if "tuner/trial_id" in r.values]
        assert promoted, "Hyperband promoted no trial to the next round"
        # A promoted trial whose parent lost its weights trains from scratch.
        hp = tuner.oracle.get_space()
        hp.values["tuner/trial_id"] = "no_such_trial"
        model = tuner._build_hypermodel(hp)
        assert model.count_params() > 0

    def test_new_hyperparameter_is_rejected(self, tmp_path):
        space = search_space.search_space_of(tiny_hypermodel())

        class Grown(TinyHyperModel):
            def build_features(self, hp, inputs):
                hp.Int("extra_units", 1, 4, default=2)
                return super().build_features(hp, inputs)

        grown = Grown(vocabulary_size=20, max_length=16, num_classes=2)
        with pytest.raises(RuntimeError, match="allow_new_entries"):
            tuner_factory.build_tuner(
                grown,
                "random",
                directory=tmp_path,
                project_name="p",
                max_trials=1,
                hyperparameters=space,
            )

    def test_every_tuner_builds_over_the_shared_space(self, tmp_path):
        space = search_space.search_space_of(tiny_hypermodel())
        expected = {
            "hyperband": keras_tuner.Hyperband,
            "bayesian": keras_tuner.BayesianOptimization,
            "random": keras_tuner.RandomSearch,
            "grid": keras_tuner.GridSearch,
        }
        for name, cls in expected.items():
            tuner = tuner_factory.build_tuner(
                tiny_hypermodel(), name, directory=tmp_path, project_name=name, max_trials=2
            )
            assert isinstance(tuner, cls)
            assert tuner.oracle.allow_new_entries is False
            assert tuner.oracle.tune_new_entries is False
            assert tuner.oracle.max_trials == 2
            assert tuner.oracle.objective.name == "val_accuracy"
            assert tuner.oracle.objective.direction == "max"
            assert tuner.oracle.get_space().get_config() == space.get_config()

    def test_objectives(self):
        assert tuner_factory.make_objective("val_macro_f1").direction == "max"
        assert tuner_factory.make_objective("val_loss").direction == "min"
        with pytest.raises(ConfigError, match="objective"):
            tuner_factory.make_objective("accuracy")

    def test_bad_arguments_name_the_field(self, tmp_path):
        with pytest.raises(ConfigError, match="tuner"):
            tuner_factory.build_tuner(
                tiny_hypermodel(), "annealing", directory=tmp_path, project_name="p"
            )
        with pytest.raises(ConfigError, match="max_trials"):
            tuner_factory.build_tuner(
                tiny_hypermodel(), "random", directory=tmp_path, project_name="p", max_trials=0
            )


class TestTrialLog(TestCase):
    @pytest.mark.integration
    def test_one_plain_line_per_trial_and_epoch_numbered_as_the_table(self, tmp_path, capsys):
        tuner = tuner_factory.build_tuner(
            tiny_hypermodel(),
            "random",
            directory=tmp_path,
            project_name="p",
            max_trials=2,
            max_epochs=2,
        )
        data = tiny_data(rows=64)
        capsys.readouterr()
        tuner_factory.search(tuner, data, data, epochs=2, patience=0)
        out = capsys.readouterr().out
        lines = out.splitlines()
        assert "\r" not in out and "\x1b" not in out
        assert [line.split(":")[0] for line in lines] == [
            "trial 0",
            "trial 0 epoch 1/2",
            "trial 0 epoch 2/2",
            "trial 0",
            "trial 1",
            "trial 1 epoch 1/2",
            "trial 1 epoch 2/2",
            "trial 1",
        ]
        assert lines[0].startswith("trial 0: embedding_dim=")
        assert lines[3].startswith("trial 0: val_accuracy ")
        records = results.trial_records(tuner.oracle)
        assert [r.trial_id for r in records] == ["0", "1"]
        table = results.summary_table(records, "val_accuracy", "max", ["embedding_dim"])
        assert sorted(row.split()[0] for row in table.splitlines()[2:]) == ["0", "1"]


class TestTimeLimits(TestCase):
    def test_a_trial_limit_stops_each_trial_after_a_batch_and_it_is_still_scored(
        self, tmp_path, capsys
    ):
        tuner = tuner_factory.build_tuner(
            tiny_hypermodel(),
            "random",
            directory=tmp_path,
            project_name="p",
            max_trials=2,
            max_epochs=3,
            max_trial_time=1e-6,
        )
        data = tiny_data(rows=64)  # 2 batches an epoch
        capsys.readouterr()
        tuner_factory.search(tuner, data, data, epochs=3, patience=0)
        lines = capsys.readouterr().out.splitlines()
        ends = [line for line in lines if line.startswith(("trial 0: val", "trial 1: val"))]
        assert len(ends) == 2 and not tuner.stopped_by_time
        for line in ends:
            assert line.endswith(
                "(stopped by the trial time limit in epoch 1; scored on its best epoch)"
            )
        assert sum(" epoch 1/3:" in line for line in lines) == 2  # no trial reached epoch 2
        records = results.trial_records(tuner.oracle)
        assert [r.status for r in records] == ["COMPLETED", "COMPLETED"]

    def test_the_search_budget_starts_no_trial_once_spent(self, tmp_path, monkeypatch, capsys):
        # A fake clock: building a model "takes" 600 s, so with max_time 1000 trial 0 runs
        # whole, trial 1 starts with 400 s left, is built past the search's end and is cut
        # after its first batch, and trial 2 never starts.
        now = [0.0]
        fake_time = types.SimpleNamespace(monotonic=lambda: now[0])
        monkeypatch.setattr(tuner_factory, "time", fake_time)
        monkeypatch.setattr(time_budget, "time", fake_time)

        class SlowToBuild(TinyHyperModel):
            def build(self, hp):
                now[0] += 600.0
                return super().build(hp)

        tuner = tuner_factory.build_tuner(
            SlowToBuild(vocabulary_size=20, max_length=16, num_classes=2),
            "random",
            directory=tmp_path,
            project_name="p",
            max_trials=5,
            max_epochs=2,
            max_time=1000.0,
        )
        data = tiny_data(rows=64)
        capsys.readouterr()
        tuner_factory.search(tuner, data, data, epochs=2, patience=0)
        out = capsys.readouterr().out
        assert tuner.stopped_by_time
        records = results.trial_records(tuner.oracle)
        assert [r.trial_id for r in records] == ["0", "1"]
        assert "trial 0 epoch 2/2" in out and "trial 1 epoch 2/2" not in out
        assert "stopped by the search time limit in epoch 1" in out

    def test_limits_must_be_positive(self, tmp_path):
        for name in ("max_time", "max_trial_time"):
            with pytest.raises(ConfigError, match=name):
                tuner_factory.build_tuner(
                    tiny_hypermodel(), "random", directory=tmp_path, project_name="p", **{name: 0}
                )


class TestDevices(TestCase):
    def test_cpu_trials_run_without_a_strategy(self):
        assert tuner_factory.trial_strategy() is None
