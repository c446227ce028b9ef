"""Sampler: per-chunk SeedSequence streams, copula correlation, unsupported targets."""

from __future__ import annotations

import numpy as np
import pytest

from fabnet.errors import ScenarioError
from fabnet.risk import compile_uncertainties, make_chunks
from fabnet.scenario import load_scenario, scenario_from_dict


@pytest.fixture(scope="module")
def builtin():
    return load_scenario(None)


def test_chunk_draws_do_not_depend_on_how_work_is_split(builtin):
    s = compile_uncertainties(builtin)
    a = [s.draw(c) for c in make_chunks(2500, 11)]
    again = [s.draw(c) for c in reversed(make_chunks(2500, 11))][::-1]
    for x, y in zip(a, again, strict=True):
        assert np.array_equal(x.mult, y.mult) and np.array_equal(x.add, y.add)
    assert [c.size for c in make_chunks(2500, 11)] == [1000, 1000, 500]
    other = compile_uncertainties(builtin).draw(make_chunks(1000, 12)[0])
    assert not np.array_equal(a[0].mult, other.mult)


def test_targets_compose_and_factor_correlation(builtin):
    s = compile_uncertainties(builtin)
    d = s.draw(make_chunks(20000, 3, 20000)[0])
    # Arizona gets the construction delay plus the US extra delay: triangular means 5 + 8
    az = d.add[:, s.targets.index(("fabs", "US (Arizona)", "lead_time_months"))]
    assert az.mean() == pytest.approx(5.0 + 8.0, abs=0.15)
    # demand multipliers share the ai-demand factor with loading 0.8: corr of log draws 0.64
    i = s.targets.index(("customers", "OpenAI", "demand"))
    j = s.targets.index(("customers", "Meta", "demand"))
    r = np.corrcoef(np.log(d.mult[:, i]), np.log(d.mult[:, j]))[0, 1]
    assert r == pytest.approx(0.64, abs=0.02)
    # HBM loads -0.3 on the same factor: corr with demand 0.8 * -0.3 = -0.24
    h = s.targets.index(("hbm", "SK hynix HBM3", "stacks_per_month"))
    assert np.corrcoef(np.log(d.mult[:, i]), np.log(d.mult[:, h]))[0, 1] == pytest.approx(
        -0.24, abs=0.02
    )


def test_unsupported_target_names_the_spec(builtin_dict):
    builtin_dict["uncertainties"].append(
        {"name": "layers", "target": "nodes.N4.mask_layers", "effect": "add",
         "distribution": {"dist": "point", "value": 1}}
    )  # fmt: skip
    sc = scenario_from_dict(builtin_dict)
    with pytest.raises(ScenarioError) as info:
        compile_uncertainties(sc)
    assert f"uncertainties[{len(builtin_dict['uncertainties']) - 1}].target" in str(info.value)
    assert "cannot vary" in str(info.value)
