"""gatecc.dask.predict on a distributed.LocalCluster with 2 workers equals the soft model's decision."""

from pathlib import Path

import numpy as np
import pytest

import gatecc
import gatecc.dask as gdask

# The test extra installs the dask extra (dask[array,dataframe], distributed).
import dask.array as da
import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster

DIGITS = Path(__file__).resolve().parent.parent / "examples" / "digits.npz"


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c


@pytest.fixture(scope="module")
def rows():
    x = np.random.default_rng(0).integers(0, 2, (700, 192)).astype(np.uint8)
    net = gatecc.load(DIGITS)
    counts = np.rint(np.asarray(gatecc.soft_eval(net, x, hard=True), np.float64) * net.groupsum.tau).astype(np.int64)
    return x, counts


def test_array_argmax_on_two_workers(client, rows):
    x, counts = rows
    before = gdask.builds()
    y = gdask.predict(da.from_array(x, chunks=(100, 64)), str(DIGITS), head="argmax")
    assert y.shape == (700,) and y.dtype == np.int32
    got = y.compute()
    np.testing.assert_array_equal(got, counts.argmax(axis=1))
    # 7 partitions, one process: the net was compiled once at most (and reused by both workers).
    assert gdask.builds() - before <= 1
    assert len(client.scheduler_info()["workers"]) == 2


def test_array_counts_and_threshold(client, rows):
    x, counts = rows
    net = gatecc.load(DIGITS)
    y = gdask.predict(da.from_array(x, chunks=(250, 192)), net, head="counts").compute()
    np.testing.assert_array_equal(y, counts)
    t = gdask.predict(da.from_array(x, chunks=(250, 192)), net, head="threshold:8").compute()
    assert t.dtype == np.uint8
    np.testing.assert_array_equal(t, (counts > 8).astype(np.uint8))


def test_dataframe_partitions(client, rows):
    x, counts = rows
    names = [f"px{i}" for i in range(192)]
    df = dd.from_pandas(pd.DataFrame(x, columns=names).assign(label=0), npartitions=4)
    s = gdask.predict(df, DIGITS, columns=names).compute()
    assert s.name == "class"
    np.testing.assert_array_equal(s.to_numpy(), counts.argmax(axis=1))
    np.testing.assert_array_equal(s.index.to_numpy(), np.arange(700))


def test_bad_shapes_and_models_fail_on_the_client(client, tmp_path):
    with pytest.raises(gatecc.InputError, match="shape"):
        gdask.predict(da.zeros((10, 5), chunks=5), DIGITS)
    with pytest.raises(gatecc.ModelError, match="cannot read"):
        gdask.predict(da.zeros((10, 192), chunks=5), tmp_path / "missing.npz")
    with pytest.raises(gatecc.ModelError, match="unknown head"):
        gdask.predict(da.zeros((10, 192), chunks=5), DIGITS, head="softmax")
    df = dd.from_pandas(pd.DataFrame({"a": [0, 1]}), npartitions=1)
    with pytest.raises(gatecc.InputError, match="192 inputs"):
        gdask.predict(df, DIGITS)
