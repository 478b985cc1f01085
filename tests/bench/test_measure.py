"""bench.measure and bench.__main__: the statistics and bookkeeping the figures rest on."""

import itertools

import pytest

from bench import __main__ as bench_main
from bench import measure


def test_spread_gives_median_and_range():
    assert measure.spread([3.0, 1.0, 2.0], digits=1) == "median 2.0 (1.0-3.0)"


def test_ratio_of_medians_is_not_the_median_of_ratios():
    fast, slow = [10.0, 1.0, 4.0], [2.0, 2.0, 2.0]
    assert measure.ratio_of_medians(fast, slow) == pytest.approx(2.0)
    rates = {"fast": (4.0, fast), "slow": (2.0, slow)}
    assert measure.paired_ratios(rates, "fast", "slow") == [5.0, 0.5, 2.0]
    assert measure.paired_ratio(rates, "fast", "slow") == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("round_seconds", "step_seconds", "steps"),
    [(4.0, 1.5, 3), (4.0, 4.0, 1), (4.0, 10.0, 1), (4.0, 0.0, 4_000_000_000)],
)
def test_steps_for_fills_the_round_with_whole_steps(round_seconds, step_seconds, steps):
    assert measure.steps_for(round_seconds, step_seconds) == steps


def test_timed_rounds_sizes_each_function_from_its_warm_up(monkeypatch):
    clock = itertools.count()  # Every call to perf_counter advances one "second".
    monkeypatch.setattr(measure.time, "perf_counter", lambda: float(next(clock)))
    calls = {"a": 0, "b": 0}

    def step(name):
        def run():
            calls[name] += 1

        return run

    rates, steps = measure.timed_rounds({"a": step("a"), "b": step("b")}, 2, 3.0, 4)
    # The warm-up step took one tick: three steps fill a 3 s round.
    assert steps == {"a": 3, "b": 3}
    assert calls == {"a": 2 + 4 * 3, "b": 2 + 4 * 3}
    assert set(rates) == {"a", "b"} and all(len(values) == 4 for _, values in rates.values())


def test_usable_cores_and_load_are_read_from_the_machine():
    assert 1 <= measure.usable_cores() == measure.cpu_threads()
    assert measure.load_average() >= 0


def test_conditions_line_states_cores_load_and_duration():
    line = bench_main.conditions_line(1.25, 3.5, 90)
    assert line == (
        f"{measure.usable_cores()} usable cores; 1-minute load average 1.2 at the start, "
        "3.5 at the end; 1.5 min"
    )


def test_replace_section_replaces_only_its_own_section():
    text = (
        "head\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\n<!-- bench:b -->\nb\n<!-- /bench:b -->\n"
    )
    replaced = bench_main.replace_section(text, "a", "new a\n")
    assert replaced == text.replace("old a", "new a")
    appended = bench_main.replace_section(text, "c", "c body")
    assert appended.startswith(text.rstrip()) and appended.endswith(
        "<!-- bench:c -->\nc body\n<!-- /bench:c -->\n"
    )


def test_with_header_replaces_a_stale_header_and_keeps_the_sections():
    sections = "<!-- bench:a -->\nbody\n<!-- /bench:a -->\n"
    assert bench_main.with_header("# Old header\n\nold words\n\n" + sections) == (
        bench_main.HEADER + "\n" + sections
    )
    assert bench_main.with_header(bench_main.HEADER + "\n" + sections) == (
        bench_main.HEADER + "\n" + sections
    )
