"""Cost roll-ups: hand-computed values, edge cases, and the H100 cross-check (Raymond James)."""

from __future__ import annotations

import numpy as np
import pytest

from fabnet.econ import (
    accelerator_cost,
    cost_of_ownership,
    cost_per_good_die,
    exact_dies_per_wafer,
    harvested_yield,
    wafer_cost,
)


def test_wafer_cost_by_hand():
    # A TSMC-Arizona-like module (docs/sources.md §B, §D): $12B for 20k wpm, 80% equipment over
    # 5 years, 20% buildings over 20 years, $4,000 opex per wafer started, 90% utilisation,
    # 98% line yield.
    # depreciation 9.6e9/5 + 2.4e9/20 = 2.04e9 $/yr; starts 12*20,000*0.9 = 216,000 /yr;
    # (2.04e9 + 4,000*216,000) / (216,000*0.98) = 2.904e9 / 211,680 = 13,718.82 $/wafer,
    # below the ~$16-20k N5/N4 price (docs/sources.md §E), as a foundry's cost should be.
    c = wafer_cost(9.6e9, 2.4e9, 5, 20, 4000, 20_000, 0.9, 0.98)
    assert c == pytest.approx(13_718.82, abs=0.01)
    assert c < 16_000


def test_wafer_cost_edge_cases_and_broadcasting():
    assert wafer_cost(1e9, 0, 5, 20, 0, 10_000, 0.0) == np.inf  # nothing started
    assert wafer_cost(1e9, 0, 5, 20, 0, 10_000, 1.0, 0.0) == np.inf  # nothing comes out
    util = np.array([0.5, 0.75, 1.0])
    c = wafer_cost(1e9, 0, 5, 20, 1000, 10_000, util)
    assert c.shape == (3,)
    assert np.all(np.diff(c) < 0)  # fixed cost spread over more wafers
    # all-opex fab: cost per good wafer is opex / line yield, independent of volume
    assert wafer_cost(0, 0, 5, 20, 1000, [1, 1e6], 1.0, 0.5) == pytest.approx([2000, 2000])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"equipment_capex": -1}, "equipment_capex"),
        ({"equipment_life_years": 0}, "equipment_life_years"),
        ({"utilisation": 1.1}, "utilisation"),
        ({"line_yield": -0.1}, "line_yield"),
    ],
)
def test_wafer_cost_bad_inputs(kwargs, name):
    args = {
        "equipment_capex": 1e9,
        "building_capex": 1e8,
        "equipment_life_years": 5,
        "building_life_years": 20,
        "opex_per_wafer": 1000,
        "wafers_per_month": 10_000,
        "utilisation": 0.9,
        "line_yield": 0.98,
    }
    with pytest.raises(ValueError, match=name):
        wafer_cost(**{**args, **kwargs})


def test_cost_per_good_die():
    assert cost_per_good_die(18_000, 60, 0.5) == pytest.approx(600.0)
    assert cost_per_good_die(18_000, 0, 0.5) == np.inf
    assert cost_per_good_die(18_000, 60, 0.0) == np.inf
    with pytest.raises(ValueError, match="die_yield"):
        cost_per_good_die(18_000, 60, 1.2)


def test_accelerator_cost_breakdown_by_hand():
    # 2 dies at $400, 8 stacks at $250, interposer wafer $16,000 / 16 packages = $1,000,
    # substrate $100, test $500, assembly yield 0.8:
    # direct = 800 + 2000 + 1100 + 500 = 4400; total = 4400 / 0.8 = 5500; loss 1100
    c = accelerator_cost(2, 400, 8, 250, 16_000, 16, 500, 0.8, other_packaging_cost=100)
    assert (c.die, c.hbm, c.packaging, c.test) == (800, 2000, 1100, 500)
    assert c.total == pytest.approx(5500)
    assert c.yield_loss == pytest.approx(1100)
    parts = c.die + c.hbm + c.packaging + c.test + c.yield_loss
    assert parts == pytest.approx(c.total)
    assert set(c.as_dict()) == {"die", "hbm", "packaging", "test", "yield_loss", "total"}


def test_accelerator_cost_edge_cases():
    assert accelerator_cost(1, 100, 0, 0, 0, 1, 0, 0.0).total == np.inf  # no assembly passes
    assert accelerator_cost(0, 0, 0, 0, 0, 1, 0, 0.0).total == 0.0  # nothing spent
    c = accelerator_cost(1, np.array([100.0, 200.0]), 5, 200, 20_000, 29, 900, 0.95)
    assert c.total.shape == (2,)
    assert c.total[1] - c.total[0] == pytest.approx(100 / 0.95)
    with pytest.raises(ValueError, match="packages_per_interposer_wafer"):
        accelerator_cost(1, 100, 5, 200, 20_000, 0, 900, 0.95)


def _h100(wafer, hbm_price, packaging, assembly_yield, d0=0.1, unit_fraction=0.6):
    dpw = exact_dies_per_wafer(26.0, 814.0 / 26.0)  # 67 (see test_econ_dies)
    y = harvested_yield(8.14, d0, 144, 12, unit_fraction, alpha=2.0)
    die = cost_per_good_die(wafer, dpw, y)
    # packaging expressed as a CoWoS interposer wafer cost over 29 H100 packages per wafer
    # (docs/sources.md §I); the wafer cost is backed out of the ~$700-750 packaging figure, it is
    # not an independent number.
    return accelerator_cost(1, die, 5, hbm_price, packaging * 29, 29, 900, assembly_yield)


def test_h100_cost_near_raymond_james():
    """H100 build cost vs Raymond James's ~$3,320 (Aug 2023; docs/sources.md §J).

    Inputs: N4 wafer $18,500 (docs/sources.md §E: ~$18k, ~$20k by end-2025; $17-20k); 67 gross dies
    (exact map, 26 x 31.3 mm, 3 mm edge exclusion); D0 0.1 /cm² (N5 at HVM, §F) with NB
    alpha 2; harvesting 12 of 144 SMs with the SMs taking 60% of the die (our estimate: no
    public floorplan figure), giving die yield 0.740; 5 HBM3 stacks at $210 (§H: 5-6 cubes
    $950-1,150 in total); CoWoS packaging $725 (§J: ~$750); test $900 (§J: ~$920); assembly
    yield 0.95 (our estimate). Result: die $373, HBM $1,050, packaging $725, test $900, yield
    loss $160, total $3,209, i.e. 3.3% under $3,320.

    What drives the difference: the secondary split of the same estimate (§J) has HBM at
    ~$1,350 (we use $1,050 from the per-cube price) and the logic die at ~$300 (our $373
    comes from a list-price wafer and a 60% harvestable area; a lower negotiated wafer price
    or more of the die in SMs brings it down). We assert within 10% for the central case and
    within 25% at the corners of the input ranges, which is the spread of the inputs
    themselves (wafer price +-8%, HBM +-10%, assembly yield 0.90-0.99, D0 0.05-0.2).
    """
    central = _h100(18_500, 210, 725, 0.95)
    assert central.die == pytest.approx(373, abs=1)
    assert central.total == pytest.approx(3209, abs=1)
    assert abs(central.total / 3320 - 1) < 0.10
    corners = [
        _h100(17_000, 190, 700, 0.99),  # cheapest: $2,922 (-12%)
        _h100(20_000, 230, 750, 0.90),  # dearest: $3,560 (+7%)
        _h100(18_500, 210, 725, 0.95, d0=0.05),  # mature line: $3,156
        _h100(18_500, 210, 725, 0.95, d0=0.2),  # early ramp: $3,327
    ]
    for c in corners:
        assert abs(c.total / 3320 - 1) < 0.25
    # harvesting is worth a lot: without it (whole die must be clean) the die costs ~46% more
    no_harvest = _h100(18_500, 210, 725, 0.95, unit_fraction=0.0)
    assert no_harvest.die / central.die == pytest.approx(0.7396 / 0.5051, rel=1e-3)


def test_cost_of_ownership_by_hand():
    # A $50M tool over 5 years: F = $10M/yr; R = $3M/yr; yield loss $0.5M/yr; 150 wafer
    # passes per hour for 8,760 h = 1,314,000 /yr; U = 0.8; Y = 0.98:
    # 13.5e6 / (1,314,000 * 0.8 * 0.98) = 13.5e6 / 1,030,176 = $13.1046 per good pass
    coo = cost_of_ownership(10e6, 3e6, 0.5e6, 150 * 8760, 0.8, 0.98)
    assert coo == pytest.approx(13.1046, abs=1e-4)
    assert cost_of_ownership(10e6, 3e6, 0, 150 * 8760, 0.0, 0.98) == np.inf
    # more utilisation, lower COO
    c = cost_of_ownership(10e6, 3e6, 0, 1e6, np.array([0.5, 0.9]), 1.0)
    assert c[1] < c[0]
    with pytest.raises(ValueError, match="composite_yield"):
        cost_of_ownership(10e6, 3e6, 0, 1e6, 0.9, 2.0)
