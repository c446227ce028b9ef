"""The Ray executor on a local instance gives the same numbers as the local executor."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_instance(tmp_path_factory):
    import ray  # the `ray` extra; make test / .ci/run install it

    home = tmp_path_factory.mktemp("rayhome")
    # Ray's AF_UNIX socket paths live under its temp dir and must stay under 107 bytes:
    # pytest's tmp_path is too deep, so use a short folder directly under /tmp.
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    old = {k: os.environ.get(k) for k in ("HOME", "RAY_TMPDIR")}
    os.environ["HOME"] = str(home)  # Ray writes an auth token under the home directory
    os.environ["RAY_TMPDIR"] = str(temp)
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(temp), log_to_driver=False)
    yield ray
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_ray_matches_local(ray_instance, tiny_plan):
    from fabnet.risk import LocalExecutor, RayExecutor, evaluate_plan, model_from_plan

    sc, plan = tiny_plan
    model = model_from_plan(sc, plan)
    local = evaluate_plan(model, 2500, seed=21, executor=LocalExecutor(1))
    ex = RayExecutor()
    assert ex.workers == 2
    remote = evaluate_plan(model, 2500, seed=21, executor=ex)
    assert remote.executor == "ray"
    for name in local.stats:
        assert np.array_equal(
            local.stats[name].values(), remote.stats[name].values(), equal_nan=True
        )
    assert local.summary()["npv"] == remote.summary()["npv"]
