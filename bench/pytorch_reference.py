"""PyTorch baseline for LossLab's benchmarks (not part of the product, which never needs Python).

Trains the same reference CNN as bench/reference-cnn.ts — 32x32x3 input, three 3x3 'same'
conv blocks of 32/64/128 filters (variant "plain": conv + ReLU; variant "bn": conv without bias
+ batch norm + ReLU) with 2x2 max-pools between them, global average pooling, dense 10 — with
Adam on batches of 64, and measures training
and inference (batch 256) images/s. Prints one JSON object.

Variant "app" is LossLab's default network: the batch-norm blocks at widths 16/32/64.
Variants "resnet20" and "resnet32" are the CIFAR ResNets (width 16, option-A shortcuts) of
main/engine/fixtures/resnet_reference.py, the definition LossLab's ResNet is tested against,
trained with SGD (lr 0.1, momentum 0.9) as the CIFAR recipe and LossLab's benchmark do.
--device cuda runs on the GPU (bench/run.ts --backends webgpu compares against it), synchronising
before each clock read so the GPU's work is in the time; --batch sets the training batch.

Usage: python3 bench/pytorch_reference.py [--threads N] [--seconds S] [--channels-last] [--variant plain|bn|app|resnet20|resnet32]
       [--device cpu|cuda] [--batch 64]
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "main", "engine", "fixtures"))
from resnet_reference import resnet_cifar  # noqa: E402


def build(batch_norm, widths=(32, 64, 128)):
    layers = []
    cin = 3
    for i, cout in enumerate(widths):
        if batch_norm:
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5), nn.ReLU()]
        else:
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
        if i < len(widths) - 1:
            layers.append(nn.MaxPool2d(2))
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10)]
    return nn.Sequential(*layers)


def timed(fn, seconds, sync=lambda: None):
    fn()  # warm-up
    fn()
    sync()
    count = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
        sync()
    timed.cpu_seconds = time.process_time() - cpu_start
    return count, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--variant", choices=["plain", "bn", "app", "resnet20", "resnet32"], default="bn")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    batch = args.batch
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    # "app": LossLab's default network, the batch-norm blocks at widths 16/32/64.
    widths = (16, 32, 64) if args.variant == "app" else (32, 64, 128)
    if args.variant.startswith("resnet"):
        model = resnet_cifar(int(args.variant[len("resnet"):]), 16, 3, 10).to(device=device, memory_format=fmt)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        model = build(args.variant != "plain", widths).to(device=device, memory_format=fmt)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 3, 32, 32).to(device=device, memory_format=fmt)
    y = torch.randint(0, 10, (batch,)).to(device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    model.train()
    steps, elapsed = timed(step, args.seconds, sync)
    train_ips = steps * batch / elapsed
    # Images per CPU second of this process (all its threads): steadier than wall time when other
    # processes share the machine, as LossLab's benchmark reports too.
    train_ipcs = steps * batch / timed.cpu_seconds

    model.eval()
    xi = torch.rand(256, 3, 32, 32).to(device=device, memory_format=fmt)

    def infer():
        with torch.no_grad():
            model(xi)

    batches, elapsed = timed(infer, args.seconds / 2, sync)
    infer_ips = batches * 256 / elapsed
    print(json.dumps({
        "engine": "pytorch",
        "version": torch.__version__,
        "threads": args.threads,
        "channelsLast": args.channels_last,
        "variant": args.variant,
        "device": args.device,
        "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else None,
        "batch": batch,
        "trainImagesPerSecond": round(train_ips, 1),
        "trainImagesPerCpuSecond": round(train_ipcs, 1),
        "inferenceImagesPerSecond": round(infer_ips, 1),
    }))


if __name__ == "__main__":
    main()
