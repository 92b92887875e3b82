#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures (safetensors, float32) that the Swift tests compare against.

Run through tools/make_fixtures.sh, which sets up the .venv-fixtures virtual environment.
Every fixture is generated with its own fixed seed, on the CPU, single-threaded, so reruns with
the same torch version give identical files. All tensors are in PyTorch layouts: NCHW
activations, conv weights [out, in, kh, kw], linear weights [out, in]. Integer labels are
stored as F32. Keys are documented in tools/FIXTURES.md.
"""

import argparse
import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NN_DIR = os.path.join(ROOT, "Tests", "NNTests", "Fixtures")
VGG_DIR = os.path.join(ROOT, "Tests", "VGGTests", "Fixtures")

TORCH_VERSION = torch.__version__.split("+")[0]

written = []


def save(directory, name, tensors, metadata=None):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    out = {}
    for key, value in tensors.items():
        t = torch.as_tensor(value).detach()
        out[key] = t.to(torch.float32).contiguous().clone()
    # One metadata entry only: the library writes __metadata__ in hash order, so several entries
    # would make the bytes differ from run to run.
    description = "; ".join(f"{k}: {v}" for k, v in (metadata or {}).items())
    md = {"fixture": f"tools/make_fixtures.py, torch {TORCH_VERSION}, NCHW; {description}"}
    save_file(out, path, metadata=md)
    os.chmod(path, 0o644)  # the library creates files 0600
    written.append(path)


def seeded(seed):
    torch.manual_seed(seed)


def layer_fixture(module, x, with_params=True):
    """Forward, then backward with a random upstream gradient dy."""
    x = x.clone().requires_grad_(True)
    y = module(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    result = {"x": x, "y": y, "dy": dy, "dx": x.grad}
    if with_params:
        result.update({
            "weight": module.weight, "bias": module.bias,
            "dweight": module.weight.grad, "dbias": module.bias.grad,
        })
    return result


def conv_fixtures():
    seeded(1)
    conv = nn.Conv2d(3, 8, 3, padding=1)
    save(NN_DIR, "conv3x3.safetensors", layer_fixture(conv, torch.randn(2, 3, 7, 6)),
         {"module": "Conv2d(3, 8, 3, padding=1)"})

    seeded(2)
    conv = nn.Conv2d(5, 4, 1)
    save(NN_DIR, "conv1x1.safetensors", layer_fixture(conv, torch.randn(2, 5, 5, 5)),
         {"module": "Conv2d(5, 4, 1)"})

    seeded(3)
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1)
    save(NN_DIR, "conv_stride2.safetensors", layer_fixture(conv, torch.randn(2, 4, 9, 8)),
         {"module": "Conv2d(4, 6, 3, stride=2, padding=1)"})

    # Channel counts that are multiples of 16 (Winograd-eligible), an odd-sized image so
    # that the 4x4 output tiles do not divide it.
    seeded(4)
    conv = nn.Conv2d(16, 32, 3, padding=1)
    save(NN_DIR, "conv3x3_wide.safetensors", layer_fixture(conv, torch.randn(3, 16, 9, 7)),
         {"module": "Conv2d(16, 32, 3, padding=1)"})


def pooling_fixtures():
    seeded(4)
    save(NN_DIR, "maxpool.safetensors", layer_fixture(nn.MaxPool2d(2, 2), torch.randn(2, 3, 6, 8), False),
         {"module": "MaxPool2d(2, 2)"})

    seeded(5)
    save(NN_DIR, "adaptive_avgpool.safetensors",
         layer_fixture(nn.AdaptiveAvgPool2d((2, 3)), torch.randn(2, 3, 5, 7), False),
         {"module": "AdaptiveAvgPool2d((2, 3))"})


def lrn_reference(x, size, alpha, beta, k):
    """Independent formula for torch's LocalResponseNorm, to document its convention:
    y_c = x_c / (k + alpha / size * sum_{c' = c - size//2}^{c + (size-1)//2} x_{c'}^2) ** beta
    (alpha is divided by size; out-of-range channels count as zero)."""
    n, c = x.shape[:2]
    sq = x * x
    out = torch.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c - 1, ch + (size - 1) // 2)
        s = sq[:, lo:hi + 1].sum(dim=1)
        out[:, ch] = x[:, ch] / (k + alpha / size * s) ** beta
    return out


def lrn_fixtures():
    seeded(6)
    x = torch.randn(2, 7, 4, 4) * 10
    lrn = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    f = layer_fixture(lrn, x, False)
    check("lrn formula", f["y"], lrn_reference(x, 5, 1e-4, 0.75, 2.0))
    save(NN_DIR, "lrn.safetensors", f, {"module": "LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2)"})

    seeded(7)
    x = torch.randn(2, 6, 3, 3)
    lrn = nn.LocalResponseNorm(3, alpha=1.0, beta=0.75, k=2.0)
    f = layer_fixture(lrn, x, False)
    check("lrn_strong formula", f["y"], lrn_reference(x, 3, 1.0, 0.75, 2.0))
    save(NN_DIR, "lrn_strong.safetensors", f, {"module": "LocalResponseNorm(3, alpha=1.0, beta=0.75, k=2.0)"})


def batchnorm_fixtures():
    seeded(8)
    bn = nn.BatchNorm2d(4, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(1 + 0.5 * torch.randn(4))
        bn.bias.copy_(0.5 * torch.randn(4))
        bn.running_mean.copy_(torch.randn(4))
        bn.running_var.copy_(0.5 + torch.rand(4))
    mean_before, var_before = bn.running_mean.clone(), bn.running_var.clone()
    bn.train()
    x = 2 * torch.randn(3, 4, 5, 5) + 0.7
    f = layer_fixture(bn, x)
    f.update({
        "running_mean_before": mean_before, "running_var_before": var_before,
        "running_mean_after": bn.running_mean, "running_var_after": bn.running_var,
    })
    # Document torch's convention: the running variance uses the unbiased batch variance.
    xm = x.transpose(0, 1).reshape(4, -1)
    check("bn running_var (unbiased)", bn.running_var, 0.9 * var_before + 0.1 * xm.var(dim=1, unbiased=True))
    check("bn running_mean", bn.running_mean, 0.9 * mean_before + 0.1 * xm.mean(dim=1))
    save(NN_DIR, "batchnorm_train.safetensors", f, {"module": "BatchNorm2d(4, eps=1e-5, momentum=0.1).train()"})

    seeded(9)
    bn = nn.BatchNorm2d(4, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(1 + 0.5 * torch.randn(4))
        bn.bias.copy_(0.5 * torch.randn(4))
        bn.running_mean.copy_(torch.randn(4))
        bn.running_var.copy_(0.5 + torch.rand(4))
    bn.eval()
    x = 2 * torch.randn(3, 4, 5, 5) + 0.7
    f = layer_fixture(bn, x)
    f.update({"running_mean": bn.running_mean, "running_var": bn.running_var})
    save(NN_DIR, "batchnorm_eval.safetensors", f, {"module": "BatchNorm2d(4, eps=1e-5, momentum=0.1).eval()"})


def misc_fixtures():
    seeded(10)
    save(NN_DIR, "linear.safetensors", layer_fixture(nn.Linear(6, 5), torch.randn(4, 6)), {"module": "Linear(6, 5)"})

    seeded(11)
    save(NN_DIR, "relu.safetensors", layer_fixture(nn.ReLU(), torch.randn(2, 3, 4, 4), False), {"module": "ReLU()"})

    seeded(12)
    x = torch.randn(3, 4)
    save(NN_DIR, "dropout_eval.safetensors", {"x": x, "y": nn.Dropout(0.5).eval()(x)}, {"module": "Dropout(0.5).eval()"})

    seeded(13)
    logits = (2 * torch.randn(5, 7)).requires_grad_(True)
    labels = torch.randint(0, 7, (5,))
    loss = F.cross_entropy(logits, labels)  # mean reduction
    loss.backward()
    save(NN_DIR, "cross_entropy.safetensors",
         {"logits": logits, "labels": labels, "loss": loss.reshape(1), "dlogits": logits.grad},
         {"module": "F.cross_entropy(logits, labels), reduction='mean'"})
    seeded(15)
    logits = (2 * torch.randn(6, 5)).requires_grad_(True)
    labels = torch.randint(0, 5, (6,))
    loss = F.cross_entropy(logits, labels, label_smoothing=0.1)
    loss.backward()
    # Independent check of the convention: (1 - eps) * NLL + eps * mean over classes of -log p.
    logp = F.log_softmax(logits.detach(), dim=1)
    expected = (0.9 * -logp.gather(1, labels[:, None]).squeeze(1) + 0.1 * -logp.mean(dim=1)).mean()
    check("cross_entropy_smoothed loss", loss.detach(), expected)
    save(NN_DIR, "cross_entropy_smoothed.safetensors",
         {"logits": logits, "labels": labels, "loss": loss.reshape(1), "dlogits": logits.grad},
         {"module": "F.cross_entropy(logits, labels, label_smoothing=0.1), reduction='mean'"})


def sgd_fixture():
    seeded(14)
    p0 = torch.randn(3, 4)
    grads = [torch.randn(3, 4) for _ in range(3)]
    out = {"p0": p0}
    for i, g in enumerate(grads, 1):
        out[f"g{i}"] = g
    for prefix, options in (("p", {}), ("n", {"nesterov": True}), ("d", {"dampening": 0.1})):
        p = nn.Parameter(p0.clone())
        opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=5e-4, **options)
        for i, g in enumerate(grads, 1):
            p.grad = g.clone()
            opt.step()
            out[f"{prefix}{i}"] = p.detach().clone()
        # Document torch's convention: the first step's buffer is d itself (no dampening).
        q, buf = p0.clone(), None
        for i, g in enumerate(grads, 1):
            d = g + 5e-4 * q
            buf = d.clone() if buf is None else 0.9 * buf + (1 - options.get("dampening", 0)) * d
            q = q - 0.1 * (d + 0.9 * buf if options.get("nesterov") else buf)
            check(f"sgd {prefix}{i} formula", out[f"{prefix}{i}"], q)
    save(NN_DIR, "sgd.safetensors", out,
         {"optimizer": "SGD(lr=0.1, momentum=0.9, weight_decay=5e-4); p: plain, n: nesterov=True, d: dampening=0.1"})


# ---------------------------------------------------------------------------------------------
# Tiny VGG (configuration A, widths / 16) built like torchvision's VGG.

CFG_A_TINY = [4, "M", 8, "M", 16, 16, "M", 32, 32, "M", 32, 32, "M"]


def make_layers(cfg, batch_norm, in_channels=1):
    """torchvision.models.vgg.make_layers, with a configurable number of input channels."""
    layers = []
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            else:
                layers += [conv, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class TinyVGG(nn.Module):
    def __init__(self, batch_norm):
        super().__init__()
        self.features = make_layers(CFG_A_TINY, batch_norm)
        # No avgpool: 32×32 input → 32×1×1 after five pools, flattened directly.
        self.classifier = nn.Sequential(
            nn.Linear(32, 64), nn.ReLU(True), nn.Dropout(p=0.0),
            nn.Linear(64, 64), nn.ReLU(True), nn.Dropout(p=0.0),
            nn.Linear(64, 10),
        )
        # torchvision's VGG initialisation.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)
        # Non-zero biases (conv, BN and linear), so that bias gradients are exercised.
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith(".bias"):
                    p.add_(0.01 * torch.randn_like(p))

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def vgg_fixture(batch_norm, seed, filename):
    seeded(seed)
    model = TinyVGG(batch_norm)
    model.train()
    x = torch.randn(4, 1, 32, 32)
    labels = torch.randint(0, 10, (4,))
    out = {"x": x, "labels": labels}
    for name, p in model.named_parameters():
        out["init." + name] = p.detach().clone()
    stepping = copy.deepcopy(model)  # same initial parameters and buffers

    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    out["logits"] = logits
    out["loss"] = loss.reshape(1)
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad
    buffers = [(n, b) for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var"))]
    for name, b in buffers:
        out["after." + name] = b

    opt = torch.optim.SGD(stepping.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        step_loss = F.cross_entropy(stepping(x), labels)
        losses.append(step_loss.detach())
        step_loss.backward()
        opt.step()
    out["losses"] = torch.stack(losses)
    check(filename + " losses[0] == loss", out["losses"][0], loss)
    for name, p in stepping.named_parameters():
        out["step3." + name] = p.detach().clone()
    for name, b in stepping.named_buffers():
        if name.endswith(("running_mean", "running_var")):
            out["after3." + name] = b
    save(VGG_DIR, filename, out, {
        "model": "VGG A widths/16 (4 M 8 M 16 16 M 32 32 M 32 32 M), in_channels 1, no avgpool, "
                 "classifier 32-64-64-10, dropout p=0" + (", BatchNorm2d after every conv" if batch_norm else ""),
        "optimizer": "SGD(lr=0.05, momentum=0.9, weight_decay=5e-4), 3 steps on the same batch, train mode",
    })


def check_names_against_torchvision():
    """Our tiny VGG must use torchvision's parameter names (vgg11 / vgg11_bn features, classifier)."""
    try:
        import torchvision
    except Exception as error:  # not installed, or a CUDA-only build next to a CPU torch
        print(f"(torchvision not usable, parameter-name cross-check skipped: {type(error).__name__})")
        return
    for batch_norm, builder in ((False, torchvision.models.vgg11), (True, torchvision.models.vgg11_bn)):
        theirs = [n for n, _ in builder(weights=None).named_parameters() if not n.startswith("avgpool")]
        ours = [n for n, _ in TinyVGG(batch_norm).named_parameters()]
        if theirs != ours:
            sys.exit(f"self-check failed: parameter names differ from torchvision: {ours} vs {theirs}")
    print(f"parameter names match torchvision {torchvision.__version__} vgg11 / vgg11_bn")


def check(what, a, b, tol=1e-5):
    diff = (torch.as_tensor(a).double() - torch.as_tensor(b).double()).abs().max().item()
    scale = max(1.0, torch.as_tensor(b).double().abs().max().item())
    if diff > tol * scale:
        sys.exit(f"self-check failed: {what}: max difference {diff}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    conv_fixtures()
    pooling_fixtures()
    lrn_fixtures()
    batchnorm_fixtures()
    misc_fixtures()
    sgd_fixture()
    vgg_fixture(False, 100, "vgg_a_tiny.safetensors")
    vgg_fixture(True, 101, "vgg_a_tiny_bn.safetensors")
    check_names_against_torchvision()
    for path in written:
        print(f"{os.path.getsize(path):8d}  {os.path.relpath(path, ROOT)}")
    print(f"torch {torch.__version__}: wrote {len(written)} fixture files")


if __name__ == "__main__":
    main()
