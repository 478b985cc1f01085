import json
import os

import pytest

from tests.test_case import TestCase
from tests.tuning.stand_in import tiny_data, tiny_hypermodel
from tuning import project_repair, results, tuner_factory


def _run(tmp_path, max_trials, ran):
    tuner = tuner_factory.build_tuner(
        tiny_hypermodel(),
        "random",
        directory=tmp_path,
        project_name="p",
        max_trials=max_trials,
        max_epochs=1,
    )
    original = tuner.run_trial

    def spy(trial, *args, **kwargs):
        ran.append(trial.trial_id)
        return original(trial, *args, **kwargs)

    tuner.run_trial = spy
    data = tiny_data()
    tuner_factory.search(tuner, data, data, epochs=1)
    return tuner


class TestResume(TestCase):
    @pytest.mark.integration
    def test_resume_after_truncated_trial_file(self, tmp_path):
        first = []
        _run(tmp_path, 3, first)
        assert first == ["0", "1", "2"]
        project = tmp_path / "p"
        before = {t: (project / f"trial_{t}" / "trial.json").read_text() for t in ("0", "1")}
        # A kill while KerasTuner rewrote the last trial's file.
        last = project / "trial_2" / "trial.json"
        last.write_text(last.read_text()[:40])
        os.remove(project / "trial_2" / "checkpoint.weights.h5")

        second = []
        tuner = _run(tmp_path, 5, second)
        # Finished trials are not rerun; the damaged one is recorded, not retried.
        assert second == ["3", "4"]
        for t, text in before.items():
            assert (project / f"trial_{t}" / "trial.json").read_text() == text
        assert (project / "trial_2" / "trial.json.corrupt").exists()
        statuses = {r.trial_id: r.status for r in results.trial_records(tuner.oracle)}
        assert statuses == {
            "0": "COMPLETED",
            "1": "COMPLETED",
            "2": "FAILED",
            "3": "COMPLETED",
            "4": "COMPLETED",
        }

    @pytest.mark.integration
    def test_resume_after_killed_trial_reruns_only_it(self, tmp_path):
        ran = []
        _run(tmp_path, 2, ran)
        project = tmp_path / "p"
        # Simulate a kill during trial 1: the oracle still lists it as ongoing.
        oracle = json.loads((project / "oracle.json").read_text())
        oracle["ongoing_trials"] = {"tuner0": "1"}
        oracle["end_order"] = ["0"]
        (project / "oracle.json").write_text(json.dumps(oracle))
        trial = json.loads((project / "trial_1" / "trial.json").read_text())
        trial["status"] = "RUNNING"
        (project / "trial_1" / "trial.json").write_text(json.dumps(trial))

        again = []
        _run(tmp_path, 2, again)
        assert again == ["1"]

    @pytest.mark.integration
    def test_truncated_oracle_restored_from_backup(self, tmp_path):
        ran = []
        _run(tmp_path, 2, ran)
        project = tmp_path / "p"
        assert (project / "oracle.json.bak").exists()
        (project / "oracle.json").write_text('{"ongoing_tri')
        messages = project_repair.repair_project(project)
        assert any("restored" in m for m in messages)
        again = []
        _run(tmp_path, 3, again)
        assert again == ["2"]

    def test_repair_of_missing_project_is_a_no_op(self, tmp_path):
        assert project_repair.repair_project(tmp_path / "absent") == []
