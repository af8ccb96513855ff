"""Candidate equivalence classes for SAT sweeping, split by new simulation patterns.

Nodes that agree (or exactly disagree: a node and its complement share a
class, told apart by their phase) on every simulation pattern so far form a
class.  New patterns can only split classes, never join them, so the
classes are kept as contiguous blocks of one flat numpy array: a split
checks every member against its class's first member in one vector
operation and touches only the classes that really split, so its cost does
not grow with the number of patterns simulated before.
"""

from __future__ import annotations

import numpy as np


class Classes:
    """``cls[n]``: node n's class (-1: alone, never a candidate); ``reps[c]``: class c's swept representatives."""

    def __init__(self, n_nodes: int, groups, phase: bytearray):
        self.cls = [-1] * n_nodes
        self.reps: list[list[int]] = []
        self.phase = np.frombuffer(bytes(phase), dtype=np.uint8).astype(np.uint64)
        flat, owner, start, end = [], [], [], []
        for nodes in groups:
            if len(nodes) < 2:
                continue
            c = len(self.reps)
            self.reps.append([])
            start.append(len(flat))
            flat += nodes
            owner += [c] * len(nodes)
            end.append(len(flat))
            for n in nodes:
                self.cls[n] = c
        self.flat = np.array(flat, dtype=np.int64)
        self.owner = np.array(owner, dtype=np.int64)      # class of each flat entry, -1 once alone
        self.start = start                                # per class: its block in flat
        self.end = end

    def split(self, values: np.ndarray, full: int) -> int:
        """Split the classes by one word of new patterns per node (``values[n]``, ``full`` its mask); classes split."""
        if not len(self.flat):
            return 0
        sub = values[self.flat] ^ (self.phase[self.flat] * np.uint64(full))
        live = self.owner >= 0
        first = np.array(self.start, dtype=np.int64)[np.maximum(self.owner, 0)]
        broken = np.unique(self.owner[live & (sub != sub[first])])
        for c in broken.tolist():
            self._split_block(int(c), sub)
        return len(broken)

    def _split_block(self, c: int, sub: np.ndarray) -> None:
        s, e = self.start[c], self.end[c]
        block = self.flat[s:e]
        keys = sub[s:e]
        order = np.argsort(keys, kind="stable")
        block, keys = block[order], keys[order]
        self.flat[s:e] = block
        bounds = [0] + (np.flatnonzero(np.diff(keys)) + 1).tolist() + [e - s]
        reps = self.reps[c]
        key_of = dict(zip(block.tolist(), keys.tolist()))
        for lo, hi in zip(bounds, bounds[1:]):
            part = block[lo:hi].tolist()
            if len(part) == 1:
                self.owner[s + lo] = -1
                self.cls[part[0]] = -1
                continue
            d = len(self.reps)
            key = key_of[part[0]]
            self.reps.append([r for r in reps if key_of.get(r) == key])
            self.start.append(s + lo)
            self.end.append(s + hi)
            self.owner[s + lo:s + hi] = d
            for n in part:
                self.cls[n] = d
        self.reps[c] = []
