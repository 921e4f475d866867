#!/usr/bin/python3
"""Export an untrained torchvision ResNet-18 or VGG-16 to ONNX for PCACE Lab.

Usage:
  /usr/bin/python3 scripts/export-torchvision.py resnet18 /tmp/resnet18.onnx
  /usr/bin/python3 scripts/export-torchvision.py vgg16 /tmp/vgg16.onnx --width 0.25 --size 64
  # the residual test fixture (model + PyTorch reference activations):
  /usr/bin/python3 scripts/export-torchvision.py resnet18 tests/fixtures/resnet18-w4/model.onnx \
      --width 0.0625 --size 32 --classes 10 --reference tests/fixtures/resnet18-w4

Dev-time helper only (Debian python3-torch 1.13, python3-torchvision 0.14,
python3-onnx). Weights are random (seeded): nothing is downloaded.

BatchNorm is kept as its own node (TrainingMode.PRESERVE on an eval-mode model)
rather than folded into the preceding Conv, as the default EVAL export does.
PCACE scores the output of each conv *module* and the reverse-channel criterion
uses that module's weights; folding BN would change both. --fuse-bn gives
torch's default folded graph (conv outputs then include BN; ORT runs both
variants at the same speed, as it folds BN itself when it may).
"""
import argparse
import os
import warnings

import torch
import torch.nn as nn
import torchvision


def scaled(c, width):
    return max(1, int(round(c * width)))


def resnet18(width, num_classes):
    """torchvision ResNet-18 with every channel count multiplied by `width`.

    torchvision hard-codes 64/128/256/512 planes, so a stock model is built and
    its stem, four stages and classifier are rebuilt with scaled widths through
    ResNet's own _make_layer: module names stay identical to the stock model.
    """
    from torchvision.models.resnet import BasicBlock

    model = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    if width == 1.0:
        return model
    stem = scaled(64, width)
    model.inplanes = stem  # _make_layer reads and advances this
    model.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(stem)
    model.layer1 = model._make_layer(BasicBlock, scaled(64, width), 2)
    model.layer2 = model._make_layer(BasicBlock, scaled(128, width), 2, stride=2)
    model.layer3 = model._make_layer(BasicBlock, scaled(256, width), 2, stride=2)
    model.layer4 = model._make_layer(BasicBlock, scaled(512, width), 2, stride=2)
    model.fc = nn.Linear(scaled(512, width), num_classes)
    for m in model.modules():  # same initialisation as torchvision's constructor
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return model


def vgg16(width, num_classes, size):
    """torchvision VGG-16 (configuration "D", no BN) with channels scaled by `width`.

    ONNX cannot export AdaptiveAvgPool2d((7, 7)) unless the final map size
    divides 7, so for inputs other than 224 the pool is dropped and the first
    classifier layer takes the (size/32)^2 map directly.
    """
    from torchvision.models.vgg import VGG, cfgs, make_layers

    cfg = [v if v == "M" else scaled(v, width) for v in cfgs["D"]]
    model = VGG(make_layers(cfg, batch_norm=False), num_classes=num_classes)
    side = 7
    if size != 224:
        if size % 32 != 0:
            raise SystemExit("vgg16: --size must be a multiple of 32")
        side = size // 32
        model.avgpool = nn.Identity()
    hidden = scaled(4096, width)
    model.classifier = nn.Sequential(
        nn.Linear(cfg[-2] * side * side, hidden), nn.ReLU(True), nn.Dropout(),
        nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(),
        nn.Linear(hidden, num_classes),
    )
    return model


def write_reference(model, out_dir, batch, size):
    """PyTorch's own conv-module outputs for one batch: the ground truth that a
    runtime's layer names and activations must reproduce."""
    import numpy as np

    os.makedirs(out_dir, exist_ok=True)
    x = torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(1))
    outs = {}
    hooks = [
        m.register_forward_hook(lambda _m, _i, o, name=name: outs.__setitem__(name, o.detach()))
        for name, m in model.named_modules() if isinstance(m, nn.Conv2d)
    ]
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    np.save(os.path.join(out_dir, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "logits.npy"), logits.numpy().astype(np.float32))
    for name, o in outs.items():
        np.save(os.path.join(out_dir, name + ".npy"), o.numpy().astype(np.float32))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("arch", choices=["resnet18", "vgg16"])
    ap.add_argument("output", help="path of the .onnx file to write")
    ap.add_argument("--width", type=float, default=1.0, help="channel multiplier (default 1.0 = stock model)")
    ap.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    ap.add_argument("--classes", type=int, default=1000, help="number of output logits (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fuse-bn", action="store_true", help="fold BatchNorm into Conv (changes conv outputs)")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--reference", metavar="DIR",
                    help="also write input.npy, logits.npy and <module>.npy (each Conv2d module's output, "
                         "via forward hooks) for a seeded random batch, to check a runtime against PyTorch")
    ap.add_argument("--reference-batch", type=int, default=2)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    if args.arch == "resnet18":
        model = resnet18(args.width, args.classes)
    else:
        model = vgg16(args.width, args.classes, args.size)
    model.eval()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    dummy = torch.rand(1, 3, args.size, args.size)
    # torch warns about constant folding in PRESERVE mode; that concerns models
    # in training mode, and this one is in eval mode.
    warnings.filterwarnings("ignore", message="It is recommended that constant folding")
    mode = torch.onnx.TrainingMode.EVAL if args.fuse_bn else torch.onnx.TrainingMode.PRESERVE
    torch.onnx.export(
        model, dummy, args.output,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=args.opset, training=mode, do_constant_folding=True,
    )
    if args.reference:
        write_reference(model, args.reference, args.reference_batch, args.size)
    n_conv = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    n_par = sum(p.numel() for p in model.parameters())
    print(f"{args.arch} width={args.width} size={args.size}: {n_conv} conv layers, {n_par} parameters -> {args.output}")


if __name__ == "__main__":
    main()
