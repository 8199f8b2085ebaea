"""MobileNet v1 and v2 (alpha 1.0) feature extraction at 224 px in PyTorch, the same architectures
as bench/mobilenet.ts (written here without torchvision), random weights, inference mode, with 1
thread and with all of them. Prints one JSON object."""
import argparse
import json
import os
import time

import torch
from torch import nn


def bn_relu6(c, relu=True):
    return [nn.BatchNorm2d(c, eps=1e-3)] + ([nn.ReLU6()] if relu else [])


def v1():
    layers = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), *bn_relu6(32)]
    c = 32
    for out, s in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]:
        layers += [nn.Conv2d(c, c, 3, s, 1, groups=c, bias=False), *bn_relu6(c), nn.Conv2d(c, out, 1, bias=False), *bn_relu6(out)]
        c = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())


class Inverted(nn.Module):
    def __init__(self, cin, cout, t, s):
        super().__init__()
        hidden = cin * t
        layers = [] if t == 1 else [nn.Conv2d(cin, hidden, 1, bias=False), *bn_relu6(hidden)]
        layers += [nn.Conv2d(hidden, hidden, 3, s, 1, groups=hidden, bias=False), *bn_relu6(hidden), nn.Conv2d(hidden, cout, 1, bias=False), *bn_relu6(cout, relu=False)]
        self.body = nn.Sequential(*layers)
        self.residual = s == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def v2():
    layers = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), *bn_relu6(32)]
    c = 32
    for t, out, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            layers.append(Inverted(c, out, t, s if i == 0 else 1))
            c = out
    return nn.Sequential(*layers, nn.Conv2d(c, 1280, 1, bias=False), *bn_relu6(1280), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def rate(model, images, batch, device):
    x = torch.rand(batch, 3, 224, 224, device=device) * 2 - 1
    # CUDA runs asynchronously: wait for the device before reading the clock.
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    with torch.inference_mode():
        model(x)
        sync()
        start = time.perf_counter()
        done = 0
        while done < images:
            model(x)
            done += batch
        sync()
    return done / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--images', type=int, default=64)
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    args = parser.parse_args()
    device = torch.device(args.device)
    out = {'torch': torch.__version__, 'device': args.device, 'results': []}
    if args.device == 'cuda':
        out['gpu'] = torch.cuda.get_device_name(0)
    # Threads matter on the CPU only.
    for threads in sorted({1, os.cpu_count() or 1}) if args.device == 'cpu' else [None]:
        if threads is not None:
            torch.set_num_threads(threads)
        for name, build in (('v1', v1), ('v2', v2)):
            model = build().eval().to(device)
            params = sum(p.numel() for p in model.parameters())
            out['results'].append({'version': name, 'threads': threads, 'params': params, 'featureImagesPerSecond': round(rate(model, args.images, args.batch, device))})
    print(json.dumps(out))


if __name__ == '__main__':
    main()
