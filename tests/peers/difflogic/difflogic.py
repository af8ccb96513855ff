"""LogicLayer and GroupSum with difflogic's state layout and eval-mode semantics.

Written from difflogic's documentation and paper, not from gatecc: the 16
relaxations are listed in difflogic's gate order as real-valued formulas.
"""

import torch

# difflogic's gate order: the relaxation of gate i on inputs a, b in [0, 1].
RELAXATIONS = [
    lambda a, b: torch.zeros_like(a),        # 0  false
    lambda a, b: a * b,                      # 1  a and b
    lambda a, b: a - a * b,                  # 2  a and not b
    lambda a, b: a,                          # 3  a
    lambda a, b: b - a * b,                  # 4  not a and b
    lambda a, b: b,                          # 5  b
    lambda a, b: a + b - 2 * a * b,          # 6  xor
    lambda a, b: a + b - a * b,              # 7  or
    lambda a, b: 1 - (a + b - a * b),        # 8  nor
    lambda a, b: 1 - (a + b - 2 * a * b),    # 9  xnor
    lambda a, b: 1 - b,                      # 10 not b
    lambda a, b: 1 - b + a * b,              # 11 b implies a
    lambda a, b: 1 - a,                      # 12 not a
    lambda a, b: 1 - a + a * b,              # 13 a implies b
    lambda a, b: 1 - a * b,                  # 14 nand
    lambda a, b: torch.ones_like(a),         # 15 true
]


class LogicLayer(torch.nn.Module):
    def __init__(self, in_dim, out_dim, device="cpu", grad_factor=1.0, implementation="python",
                 connections="random", generator=None):
        super().__init__()
        self.weights = torch.nn.Parameter(torch.randn(out_dim, 16, generator=generator))
        self.in_dim, self.out_dim = in_dim, out_dim
        self.device, self.grad_factor = device, grad_factor
        self.implementation, self.connections = implementation, connections
        c = torch.randperm(2 * out_dim, generator=generator) % in_dim
        c = torch.randperm(in_dim, generator=generator)[c].reshape(2, out_dim)
        self.indices = (c[0].to(torch.int64), c[1].to(torch.int64))
        self.num_neurons = self.num_weights = out_dim

    def forward(self, x):
        a, b = x[..., self.indices[0]], x[..., self.indices[1]]
        if self.training:
            w = torch.nn.functional.softmax(self.weights, dim=-1)
        else:
            w = torch.nn.functional.one_hot(self.weights.argmax(-1), 16).to(torch.float32)
        return sum(w[..., i] * op(a, b) for i, op in enumerate(RELAXATIONS))


class GroupSum(torch.nn.Module):
    def __init__(self, k, tau=1.0, device="cpu"):
        super().__init__()
        self.k, self.tau, self.device = k, tau, device

    def forward(self, x):
        return x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k).sum(-1) / self.tau
