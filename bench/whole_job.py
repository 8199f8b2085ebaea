"""PyTorch's side of bench/whole-job.ts: the same CNN study LossLab just trained, in PyTorch.

The network is LossLab's CNN (main/engine/cnn.ts): `depth` blocks of 3x3 'same' convolution
without bias, batch norm (PyTorch momentum 0.1 = Keras 0.9, eps 1e-5) and ReLU, filters
starting at `width` and doubling per block, a 2x2 max-pool after every block but the last,
global average pooling and one linear layer. Everything else is bench/whole_job_common.py.

Usage: /usr/bin/python3 bench/whole_job.py DIR --threads N
"""
import os
import sys

import torch.nn as nn

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from whole_job_common import run_job  # noqa: E402


def losslab_cnn(width, depth, channels, classes):
    layers, cin, cout = [], channels, width
    for block in range(depth):
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5), nn.ReLU()]
        if block < depth - 1:
            layers.append(nn.MaxPool2d(2))
            cin, cout = cout, cout * 2
        else:
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


if __name__ == "__main__":
    run_job(lambda job, channels, classes: losslab_cnn(job["model"]["width"], job["model"]["depth"], channels, classes))
