"""PyTorch's side of bench/whole-job-resnet.ts: the same ResNet study LossLab just trained, in PyTorch.

The network is the CIFAR ResNet of main/engine/fixtures/resnet_reference.py (the definition
LossLab's ResNet is tested against); everything else is bench/whole_job_common.py.

Usage: /usr/bin/python3 bench/whole_job_resnet.py DIR --threads N
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "main", "engine", "fixtures"))
from whole_job_common import run_job  # noqa: E402
from resnet_reference import resnet_cifar  # noqa: E402

if __name__ == "__main__":
    run_job(lambda job, channels, classes: resnet_cifar(job["model"]["depth"], job["model"]["width"], channels, classes))
