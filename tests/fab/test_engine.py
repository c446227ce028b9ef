"""Engine behaviour: determinism, workers, release modes, rules, errors, SMT2020 loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabnet.errors import DataError, UsageError
from fabnet.fab import SimConfig, minifab, run_replications, simulate
from fabnet.fab.capacity import static_utilisation
from fabnet.fab.engine import Engine
from fabnet.fab.smt2020 import load_smt2020


def test_same_seed_same_numbers_and_different_seed_differs():
    a = simulate(minifab(), days=40, warmup_days=5, seed=7).summary
    b = simulate(minifab(), days=40, warmup_days=5, seed=7).summary
    c = simulate(minifab(), days=40, warmup_days=5, seed=8).summary
    assert a["cycle_time_days"] == b["cycle_time_days"]
    assert a["events"] == b["events"]
    assert a["cycle_time_days"]["mean"] != c["cycle_time_days"]["mean"]


def test_one_and_two_workers_give_identical_results():
    cfg = SimConfig(days=30, warmup_days=5, seed=3)
    one = run_replications(minifab(), cfg, replications=2, workers=1)
    two = run_replications(minifab(), cfg, replications=2, workers=2)
    for x, y in zip(one, two, strict=True):
        assert x.summary["cycle_time_days"] == y.summary["cycle_time_days"]
        assert x.lots["cycle_time_days"].tolist() == y.lots["cycle_time_days"].tolist()


@pytest.mark.parametrize("rule", ["fifo", "cr", "edd", "spt", "setup", "cqt"])
def test_every_rule_runs_and_obeys_littles_law(rule):
    s = simulate(minifab(), days=80, warmup_days=10, dispatch=rule, seed=1).summary
    assert s["lots_completed"] > 500
    assert s["wip_lots_time_average"] == pytest.approx(s["littles_law_wip"], rel=0.05)


def test_user_rule_callable_is_used():
    calls = []

    def lifo(view, lot, tool, now):
        calls.append(lot)
        assert view.step_mean(view.step(lot)) > 0 and view.due(lot) > view.release(lot)
        return -view.queue_entry(lot)

    s = simulate(minifab(), days=20, warmup_days=2, dispatch=lifo).summary
    assert calls and s["lots_completed"] > 0


def test_user_rule_gets_a_read_only_view_and_the_engine_keeps_no_lot_state():
    views = []

    def rule(view, lot, tool, now):
        views.append(view)
        return view.queue_entry(lot)

    engine = Engine(minifab(), SimConfig(days=10, warmup_days=1, dispatch=rule))
    engine.run()
    view = views[0]
    assert not [name for name in vars(engine) if name.startswith(("lot_", "tool_setup"))]
    # the view has methods to read, no table to write: its tables are private (in the
    # compiled kernel not reachable from Python at all)
    public = {n for n in dir(view) if not n.startswith("_")}
    assert public == {"queue_entry", "due", "release", "cqt_deadline", "step", "priority",
                      "product", "remaining_rpt", "step_mean", "step_setup", "tool_setup"}  # fmt: skip
    assert all(callable(getattr(view, n)) for n in public)


def test_load_factor_scales_throughput_and_congestion():
    lo = simulate(minifab(), days=120, warmup_days=20, load_factor=0.6, seed=2).summary
    hi = simulate(minifab(), days=120, warmup_days=20, load_factor=1.1, seed=2).summary
    assert hi["wafers_per_day"] / lo["wafers_per_day"] == pytest.approx(1.1 / 0.6, rel=0.05)
    assert hi["cycle_time_days"]["mean"] > lo["cycle_time_days"]["mean"]


def test_conwip_caps_wip():
    s = simulate(minifab(), days=60, warmup_days=5, release="conwip", conwip_cap=12).summary
    assert s["wip_lots_time_average"] <= 12.0 + 1e-9
    assert s["wip_lots_time_average"] > 10.0


def test_bad_settings_raise_usage_error():
    with pytest.raises(UsageError, match="dispatching rule"):
        Engine(minifab(), SimConfig(dispatch="nope"))
    with pytest.raises(UsageError, match="warmup"):
        Engine(minifab(), SimConfig(days=5, warmup_days=5))


def test_static_utilisation_of_minifab():
    u = static_utilisation(minifab()).set_index("group")["utilisation"]
    # diffusion: (8+6+0.5 lots/day) x (225+255 min) / 3 per full batch / 2 tools / 1440 min
    assert u["diffusion"] == pytest.approx(14.5 * 480 / 3 / 2 / 1440)


def test_bad_smt2020_file_names_file_line_and_column(tmp_path: Path, smt2020_dir: Path):
    src = smt2020_dir / "SMT2020_HVLM"
    for f in src.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    lines = (tmp_path / "route_4.txt").read_text().splitlines()
    cells = lines[3].split("\t")
    cells[5] = "abc"  # PTIME of step 3
    lines[3] = "\t".join(cells)
    (tmp_path / "route_4.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        load_smt2020(tmp_path)
    assert err.value.line == 4 and err.value.column == "PTIME"
    assert "route_4.txt" in str(err.value) and "expected a number" in str(err.value)


def test_missing_dataset_dir_is_a_data_error(tmp_path: Path):
    with pytest.raises(DataError, match="not a directory"):
        load_smt2020(tmp_path / "nope")


def test_html_report_is_self_contained(tmp_path: Path):
    from fabnet.report.fab import write_fab_report

    k = simulate(minifab(), days=20, warmup_days=2)
    p = write_fab_report(k, tmp_path / "r.html")
    text = p.read_text()
    assert "<script" in text and "cdn.plot.ly" not in text.split("plotly.js v")[0][:2000]
    assert "Cycle time distribution" in text


def test_mixed_product_batches_keep_each_lot_on_its_own_route():
    """Two products share a furnace recipe (same step name and time) but not their routes.

    Regression: the routing after a batch used the first lot's step for every lot of the batch,
    so lots of one product continued on the other product's route (SMT2020: part_4 lots moved
    onto the longer route 3 and the fab's WIP grew without bound). Product b is rare, so most
    of its lots share a batch led by an a lot: with the bug they would skip etch_b.
    """
    from fabnet.fab.inline import build_fab

    furnace = {
        "group": "furnace",
        "name": "oxidation",
        "minutes": 60,
        "batch_min": 2,
        "batch_max": 4,
    }
    model = build_fab(
        {
            "tool_groups": [
                {"name": "furnace", "count": 1},
                {"name": "etch_a", "count": 1},
                {"name": "etch_b", "count": 1},
            ],
            "routes": [
                {"name": "ra", "steps": [furnace, {"group": "etch_a", "minutes": 10}]},
                {"name": "rb", "steps": [furnace, {"group": "etch_b", "minutes": 10}]},
            ],
            "products": [
                {"name": "a", "route": "ra", "lots_per_day": 40, "arrivals": "poisson"},
                {"name": "b", "route": "rb", "lots_per_day": 5, "arrivals": "poisson"},
            ],
        }
    )
    raw = Engine(model, SimConfig(days=20, seed=3)).run()
    started = dict(zip(raw.queues["group"], raw.queues["lots_started"], strict=True))
    done = raw.lots["product"]
    assert done.count("b") > 50
    # each product's second step saw exactly its own lots (up to the few still in process)
    assert abs(started["etch_a"] - done.count("a")) <= 2
    assert abs(started["etch_b"] - done.count("b")) <= 2


def test_nested_pms_cover_the_shorter_ones():
    """Weekly-in-monthly PMs: with ``nested_pms`` a monthly PM replaces the weekly one due then.

    Tool a: wafer-count PMs every 1,000 wafers (60 min) and 4,000 wafers (120 min); tool b:
    calendar PMs every 7 days (60 min) and 28 days (120 min, due just before every 4th weekly).
    112 days at 600 wafers/day: independent 67 × 60 + 16 × 120 = 5,940 min on a and
    16 × 60 + 4 × 120 = 1,440 min on b; nested (51 weekly, 12 weekly) 4,980 and 1,200 min.
    """
    from fabnet.fab.inline import build_fab
    from fabnet.fab.model import DIST_CONST, Calendar

    model = build_fab(
        {
            "tool_groups": [{"name": "a", "count": 1}, {"name": "b", "count": 1}],
            "routes": [
                {
                    "name": "r",
                    "steps": [{"group": "a", "minutes": 10}, {"group": "b", "minutes": 10}],
                }
            ],
            "products": [{"name": "p", "route": "r", "lots_per_day": 24}],
        }
    )

    def pm(name: str, tool: int, every: float, minutes: float, first: float, pieces: bool):
        return Calendar(
            name=name,
            kind="pm",
            tools=(tool,),
            every=every,
            every_dist=DIST_CONST,
            repair_mean=minutes,
            repair_dist=DIST_CONST,
            first=first,
            first_dist=DIST_CONST,
            by_pieces=pieces,
        )

    week = 7 * 1440.0
    model.calendars = [
        pm("a_wk", 0, 1000, 60, 1000, True),
        pm("a_mn", 0, 4000, 120, 4000, True),
        pm("b_wk", 1, week, 60, week, False),
        pm("b_mn", 1, 4 * week, 120, 4 * week - 1, False),
    ]
    pm_min = {}
    for nested in (False, True):
        raw = Engine(model, SimConfig(days=112.5, seed=0, nested_pms=nested)).run()
        pm_min[nested] = raw.tools["pm_min"]
    assert pm_min[False][0] == pytest.approx(5940, rel=0.03)
    assert pm_min[True][0] == pytest.approx(4980, rel=0.03)
    assert pm_min[False][1] == pytest.approx(1440)
    assert pm_min[True][1] == pytest.approx(1200)


def test_dataset_rule_of_the_minifab_is_fifo_and_unknown_rules_are_refused():
    assert Engine(minifab(), SimConfig(dispatch="dataset")).config.dispatch == "fifo"
    with pytest.raises(UsageError, match="dataset or a callable"):
        Engine(minifab(), SimConfig(dispatch="lifo"))
