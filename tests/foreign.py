"""A writer and a reference evaluator for model format v1 that share no code with gatecc.

They follow docs/model-format.md and the gate definition in docs/design.md
(f(a, b) = (id >> (3 - 2a - b)) & 1, argmax ties to the lowest id) directly,
one sample at a time in plain Python, so that gatecc is checked against an
independent reading of the contract.
"""

import numpy as np


def random_arrays(seed, n_inputs=9, widths=(12, 8), k=None, tau=None, hard=False,
                  logit_dtype=np.float32, index_dtype=np.int64):
    """Model format v1 arrays for a random net."""
    rng = np.random.default_rng(seed)
    arrays = {
        "format": np.array("gatecc.logicnet"),
        "version": np.array(1),
        "n_inputs": np.array(n_inputs),
        "n_layers": np.array(len(widths)),
    }
    prev = n_inputs
    for i, w in enumerate(widths):
        arrays[f"layer{i}/a"] = rng.integers(0, prev, w).astype(index_dtype)
        arrays[f"layer{i}/b"] = rng.integers(0, prev, w).astype(index_dtype)
        if hard:
            arrays[f"layer{i}/gates"] = rng.integers(0, 16, w).astype(np.uint8)
        else:
            arrays[f"layer{i}/logits"] = rng.normal(size=(w, 16)).astype(logit_dtype)
        prev = w
    if k is not None:
        arrays["groupsum_k"] = np.array(k)
        if tau is not None:
            arrays["groupsum_tau"] = np.array(tau)
    return arrays


def write(path, arrays, compressed=False):
    """Write with numpy's own savez, not gatecc's writer."""
    (np.savez_compressed if compressed else np.savez)(path, **arrays)


def reference_outputs(arrays, x_row):
    """Outputs for one input row (a list of 0/1): bits, or GroupSum counts."""
    vals = [int(v) for v in x_row]
    for i in range(int(arrays["n_layers"])):
        a = arrays[f"layer{i}/a"].tolist()
        b = arrays[f"layer{i}/b"].tolist()
        if f"layer{i}/gates" in arrays:
            gate_ids = arrays[f"layer{i}/gates"].tolist()
        else:
            gate_ids = []
            for row in arrays[f"layer{i}/logits"].tolist():
                best = 0
                for g in range(16):
                    if row[g] > row[best]:
                        best = g
                gate_ids.append(best)
        vals = [(g >> (3 - 2 * vals[x] - vals[y])) & 1 for g, x, y in zip(gate_ids, a, b)]
    if "groupsum_k" in arrays:
        k = int(arrays["groupsum_k"])
        size = len(vals) // k
        return [sum(vals[j * size:(j + 1) * size]) for j in range(k)]
    return vals
