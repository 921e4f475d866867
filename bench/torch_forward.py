#!/usr/bin/python3
"""PyTorch CPU forward timing, the baseline of bench/forward-throughput.ts.

Usage: /usr/bin/python3 bench/torch_forward.py ARCH BATCH THREADS REPEATS
Prints one JSON line: {"seconds_per_batch": median, "torch": version}.
Random weights (seeded); same torchvision topology as the exported ONNX.
"""
import json
import statistics
import sys
import time

import torch
import torchvision

arch, batch, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
torch.set_num_threads(threads)
model = getattr(torchvision.models, arch)(weights=None).eval()
x = torch.rand(batch, 3, 224, 224)
times = []
with torch.no_grad():
    model(x)  # warm-up
    for _ in range(repeats):
        t0 = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - t0)
print(json.dumps({"seconds_per_batch": statistics.median(times), "torch": torch.__version__}))
