"""torchlogix convolutional models trained (a few seconds) by torchlogix's own layers, and their eval-mode counts."""

import numpy as np

from peer_models import counts_from_scores, eval_outputs, torch, torchlogix_layers

#: Random initial gates: torchlogix's default ("residual") starts every gate as a pass-through, and a few
#: training steps leave most of them there, which would make trivial fixtures.
RANDOM = {"weight_init": "random"}


def resblock():
    """torchlogix.modules.resblock, importable on Python 3.11 too."""
    torchlogix_layers()
    import torchlogix.modules.resblock as rb

    return rb


def train(model, shape, steps=30, seed=0, classes=None):
    """Fit ``model`` a little to a random labelling (torchlogix's forward and backward; Adam), then eval()."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, (64, *shape), generator=gen).float()
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model.train()
    out = model(x)
    y = torch.randint(0, out.shape[1], (64,), generator=gen)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return model.eval()


def conv_model(seed=0, trained=True):
    """Conv (padding 1) -> OR pool -> conv (stride 2) -> OR pool (padding 1) -> Flatten -> 2 LogicDense -> GroupSum."""
    tl = torchlogix_layers()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        tl.LogicConv2d(in_dim=(6, 7), channels=2, num_kernels=4, tree_depth=2, receptive_field_size=3,
                       padding=1, parametrization_kwargs=RANDOM),
        tl.OrPooling2d(kernel_size=2, stride=2, padding=0),
        tl.LogicConv2d(in_dim=(3, 3), channels=4, num_kernels=6, tree_depth=3, receptive_field_size=2, stride=2,
                       padding=1, parametrization_kwargs=RANDOM),
        tl.OrPooling2d(kernel_size=2, stride=1, padding=1),
        torch.nn.Flatten(),
        tl.LogicDense(54, 40, parametrization_kwargs=RANDOM),
        tl.LogicDense(40, 24, connections="learnable", parametrization_kwargs=RANDOM),
        tl.GroupSum(3, tau=2.0, beta=0.5),
    )
    return train(model, (2, 6, 7), seed=seed) if trained else model.eval()


def residual_model(seed=0):
    """Conv -> ResidualLogicBlock (identity shortcut) -> Flatten -> LogicDense -> GroupSum."""
    tl, rb = torchlogix_layers(), resblock()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        tl.LogicConv2d(in_dim=4, channels=1, num_kernels=3, tree_depth=1, receptive_field_size=2,
                       padding=1, parametrization_kwargs=RANDOM),
        rb.ResidualLogicBlock(5, 3, 3, tree_depth=2, receptive_field_size=3,
                       padding=1, parametrization_kwargs=RANDOM),
        torch.nn.Flatten(),
        tl.LogicDense(75, 40, parametrization_kwargs=RANDOM),
        tl.GroupSum(4, tau=1.0),
    )
    return train(model, (1, 4, 4), seed=seed)


def conv3d_model(seed=0):
    """LogicConv3d -> OrPooling3d -> Flatten -> LogicDense -> GroupSum."""
    tl = torchlogix_layers()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        tl.LogicConv3d(in_dim=(3, 4, 4), channels=1, num_kernels=3, tree_depth=2, receptive_field_size=2,
                       padding=1, parametrization_kwargs=RANDOM),
        tl.OrPooling3d(kernel_size=2, stride=2, padding=0),
        torch.nn.Flatten(),
        tl.LogicDense(24, 20, parametrization_kwargs=RANDOM),
        tl.GroupSum(2, tau=1.0),
    )
    return train(model, (1, 3, 4, 4), seed=seed)


def expected_counts(model, x, shape, tau, beta=0.0):
    """rint(tau * model.eval()(x) - beta) on 0/1 rows ``x`` (batch, C*H*W)."""
    return counts_from_scores(eval_outputs(model, np.asarray(x).reshape(len(x), *shape)), tau, beta)
