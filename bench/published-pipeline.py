#!/usr/bin/python3
"""The published PCACE pipeline for one layer, as the baseline of bench/published-pipeline.ts.

What it runs (../shared/reference/pipeline/README.md describes the published code):
  1. one PyTorch forward pass over the images with a forward hook on the layer's
     Conv2d module (activations before BatchNorm/ReLU), computed once and kept
     ("activations cached"); the response is one logit of the model;
  2. per channel: StandardScaler (population std) over the images -> PCA(k) by
     a full SVD, scores U_k S_k with scikit-learn's sign convention -> the ACE
     loop of the pure-Python `ace` package (supersmoother with spans 0.05 / 0.2
     / 0.5, no bass enhancement, inner sweeps while the error falls, outer
     iterations likewise up to 200) -> |corr(phi_1, theta)|.

The ACE loop is written here in plain Python over the points, as the package
computes it (its running line updates one point at a time in Python); arrays
are float64, i.e. the exact statistic of published_scores_exact.json rather
than the float32 arithmetic of the original run. Neither scikit-learn nor the
`ace` package is needed: NumPy's SVD and this loop stand in for them.

Dev-time only (Debian python3-torch, python3-torchvision, python3-numpy):
  /usr/bin/python3 bench/published-pipeline.py --images X.npy --layer layer1.0.conv1 \
      --k 10 --target 0 --out scores.json
The model is the torchvision ResNet-18 that scripts/export-torchvision.py exports
(same constructor, same seed, so the same weights as its .onnx file).
"""
import argparse
import importlib.util
import json
import math
import os
import time

import numpy as np
import torch

SPANS = (0.05, 0.2, 0.5)
MAX_OUTER = 200


def running_line(x, y, span, want_resid):
    """Fixed-span running-line smooth of y against sorted x, moved one point at a time."""
    n = len(x)
    half = int(n * span) // 2
    size = max(2 * half + 1, 2)
    first = min(size, n)
    mx = float(np.mean(x[:first]))
    my = float(np.mean(y[:first]))
    cov = 0.0
    vx = 0.0
    for j in range(first):
        cov += (x[j] - mx) * (y[j] - my)
        vx += (x[j] - mx) * (x[j] - mx)
    out = [0.0] * n
    resid = [0.0] * n if want_resid else None
    lower = 0
    cur = size
    for i in range(n):
        if i - half > 0 and i + half < n:
            xr = x[lower]
            yr = y[lower]
            lower += 1
            upper = min(lower + cur, n)
            xa = x[upper - 1]
            ya = y[upper - 1]
            t = (cur / (cur - 1)) * (xr - mx)
            cov -= t * (yr - my)
            vx -= t * (xr - mx)
            mx = (cur * mx - xr) / (cur - 1)
            my = (cur * my - yr) / (cur - 1)
            cur -= 1
            mx = (cur * mx + xa) / (cur + 1)
            my = (cur * my + ya) / (cur + 1)
            t = ((cur + 1) / cur) * (xa - mx)
            cov += t * (ya - my)
            vx += t * (xa - mx)
            cur += 1
        xi = x[i]
        s = 0.0
        if vx != 0:
            beta = cov / vx
            s = beta * xi + (my - beta * mx)
        out[i] = s
        if want_resid:
            denom = 1 - 1 / cur - ((xi - mx) * (xi - mx)) / vx if vx != 0 else float("nan")
            resid[i] = 1.0 if denom == 0 else abs((y[i] - s) / denom)
    return out, resid


def interp_spans(at, f0, f1, f2):
    """numpy.interp(at, SPANS, [f0, f1, f2]) for one point (ends held)."""
    if at <= SPANS[0]:
        return f0
    if at >= SPANS[2]:
        return f2
    if at <= SPANS[1]:
        return f0 + (f1 - f0) * (at - SPANS[0]) / (SPANS[1] - SPANS[0])
    return f1 + (f2 - f1) * (at - SPANS[1]) / (SPANS[2] - SPANS[1])


def supersmoother(x, y):
    """Friedman's variable-span smoother on sorted x (alpha = 0), as the `ace` package runs it."""
    n = len(x)
    primary = []
    smoothed_resid = []
    for span in SPANS:
        s, r = running_line(x, y, span, True)
        primary.append(s)
        smoothed_resid.append(running_line(x, r, SPANS[1], False)[0])
    best = [0.0] * n
    for i in range(n):
        values = [smoothed_resid[0][i], smoothed_resid[1][i], smoothed_resid[2][i]]
        best[i] = SPANS[values.index(min(values))]
    spans, _ = running_line(x, best, SPANS[1], False)
    blended = [interp_spans(spans[i], primary[0][i], primary[1][i], primary[2][i]) for i in range(n)]
    return running_line(x, blended, SPANS[0], False)[0]


def smooth_against(order, xs_sorted, values):
    """Smooth values (original order, an array) against a variable given its sort order; result in original order."""
    out = np.empty(len(order))
    out[order] = supersmoother(xs_sorted, values[order].tolist())
    return out


def ace(x_cols, y):
    """ACE of the `ace` package: returns (phi, theta) as arrays."""
    n = len(y)
    p = len(x_cols)
    theta = (y - y.mean()) / y.std()
    phi = np.zeros((p, n))
    orders = [np.argsort(col, kind="stable") for col in x_cols]
    sorted_x = [col[order].tolist() for col, order in zip(x_cols, orders)]
    y_order = np.argsort(y, kind="stable")
    y_sorted = y[y_order].tolist()

    def error():
        return float(np.mean((theta - phi.sum(axis=0)) ** 2))

    last_outer = math.inf
    outer = 0
    while True:
        err = error()
        if not err < last_outer or outer >= MAX_OUTER:
            break
        last_outer = err
        last_inner = math.inf
        while True:
            e = error()
            if not e < last_inner:
                break
            last_inner = e
            for k in range(p):
                target = theta - (phi.sum(axis=0) - phi[k])
                s = smooth_against(orders[k], sorted_x[k], target)
                phi[k] = s - s.mean()
        s = smooth_against(y_order, y_sorted, phi.sum(axis=0))
        s -= s.mean()
        theta = s / s.std()
        outer += 1
    return phi, theta


def channel_statistic(maps, y, k):
    """StandardScaler -> PCA(k) (full SVD) -> ACE -> |corr(phi_1, theta)| for one channel's n x positions maps."""
    mean = maps.mean(axis=0)
    sd = maps.std(axis=0)
    sd[sd == 0] = 1.0
    z = (maps - mean) / sd
    u, s, _ = np.linalg.svd(z, full_matrices=False)
    u = u[:, :k]
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), range(k)])
    scores = u * signs * s[:k]
    phi, theta = ace([scores[:, c] for c in range(k)], y)
    return abs(float(np.corrcoef(phi[0], theta)[0, 1]))


def load_exporter():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "export-torchvision.py")
    spec = importlib.util.spec_from_file_location("export_torchvision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", required=True, help="float32 [N, 3, 224, 224] .npy, preprocessed")
    ap.add_argument("--layer", default="layer1.0.conv1")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--target", type=int, default=0, help="logit index used as the response")
    ap.add_argument("--seed", type=int, default=0, help="the exporter's weight seed")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--channels", type=int, default=0, help="score only the first C channels (0 = all)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    model = load_exporter().resnet18(1.0, 1000)
    model.eval()
    images = np.load(args.images)

    t0 = time.perf_counter()
    module = dict(model.named_modules())[args.layer]
    captured = []
    hook = module.register_forward_hook(lambda _m, _i, o: captured.append(o.detach().numpy().copy()))
    logits = []
    with torch.no_grad():
        for start in range(0, len(images), args.batch):
            logits.append(model(torch.from_numpy(images[start:start + args.batch])).numpy())
    hook.remove()
    acts = np.concatenate(captured).astype(np.float64)
    y = np.concatenate(logits)[:, args.target].astype(np.float64)
    forward = time.perf_counter() - t0

    n, channels = acts.shape[0], acts.shape[1]
    if args.channels:
        channels = min(channels, args.channels)
    t1 = time.perf_counter()
    scores = [channel_statistic(acts[:, c].reshape(n, -1), y, args.k) for c in range(channels)]
    statistics = time.perf_counter() - t1
    with open(args.out, "w") as f:
        json.dump({"forward_seconds": forward, "statistics_seconds": statistics, "scores": scores, "images": int(n)}, f)


if __name__ == "__main__":
    main()
