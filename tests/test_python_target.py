"""The worked-example backend of docs/backends.md (target ``python``) computes what the reference evaluator does."""

import numpy as np
from hypothesis import given, settings

from gatecc.backends import PlaneLayout
from gatecc.compiler import lower_to_source
from gatecc.ir.evaluate import all_inputs, evaluate_samples
from gatecc.testing import logic_nets


@settings(max_examples=20)
@given(net=logic_nets(n_inputs=6))
def test_python_target_matches_the_reference_evaluator(net):
    x = all_inputs(6)
    planes = [sum(int(x[j, i]) << j for j in range(len(x))) for i in range(6)]
    for level in (0, 2):
        lowered = lower_to_source(net, "python", level, cache=False)
        space = {}
        exec(lowered.source, space)                              # noqa: S102  (our own generated code)
        out = space["gatecc_eval"](planes, len(x))
        bits = np.array([[(p >> j) & 1 for p in out] for j in range(len(x))], dtype=np.int64).reshape(len(x), -1)
        # A count output is `width` planes of binary digits, least significant first.
        got = np.stack([bits[:, start:start + width] @ (1 << np.arange(width))
                        for _, start, width in PlaneLayout.of(lowered.graph).outputs], axis=1)
        np.testing.assert_array_equal(got, evaluate_samples(lowered.graph, x))
