"""The PyTorch side of LossLab's whole-job benchmarks (bench/whole-job.ts, bench/whole-job-resnet.ts).

Reads the split LossLab made (DIR/job.json, DIR/pixels.u8: every image's uint8 pixels, NHWC)
and trains one run per loss and seed, one after another, with the network the calling script
builds and the recipe job.json names: Adam or SGD with momentum, coupled weight decay, cosine
schedule per step, optional flip + crop augmentation (black padding of max(1, round(size/8))
pixels), batches with a trailing batch of one folded into the previous one, per-channel
normalisation, a validation pass after every epoch with the best epoch's weights kept, and
test-set logits at the end (best and last epoch, as LossLab does). Loss arithmetic is per-loss
but costs the same order as LossLab's.

Prints one JSON object: the wall time of the training (all runs), the process's wall time
including the torch import, images trained, and images/s.
"""
import argparse
import json
import math
import os
import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def loss_fn(name, counts):
    counts_t = torch.tensor(counts, dtype=torch.float32)
    if name == "ce":
        return lambda z, y: F.cross_entropy(z, y)
    if name == "weighted-ce":
        w = 1.0 / counts_t
        w = w * len(counts) / w.sum()
        return lambda z, y: F.cross_entropy(z, y, weight=w)
    if name == "balanced-softmax":
        log_prior = torch.log(counts_t / counts_t.sum())
        return lambda z, y: F.cross_entropy(z + log_prior, y)
    if name == "focal":
        def focal(z, y, gamma=2.0):
            logp = F.log_softmax(z, dim=1).gather(1, y[:, None])[:, 0]
            return (-(1 - logp.exp()) ** gamma * logp).mean()
        return focal
    raise SystemExit("no PyTorch version of loss %s in this benchmark" % name)


def batches_of(order, size):
    out = []
    for start in range(0, len(order), size):
        b = order[start:start + size]
        if len(b) < 2 and out:
            out[-1] = np.concatenate([out[-1], b])
        else:
            out.append(b)
    return out


def make_optimizer(model, t):
    if t["optimizer"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=t["learningRate"], betas=(0.9, 0.999), eps=1e-8, weight_decay=t["weightDecay"])
    return torch.optim.SGD(model.parameters(), lr=t["learningRate"], momentum=t["momentum"], weight_decay=t["weightDecay"])


def learning_rate(t, step, total):
    if t["schedule"] == "cosine":
        return 0.5 * t["learningRate"] * (1 + math.cos(math.pi * step / total))
    return t["learningRate"]


def run_job(build_model):
    """Trains every run of DIR/job.json with `build_model(job, channels, classes)`; prints the JSON report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.dir, "job.json")) as f:
        job = json.load(f)
    s, ch = job["imageSize"], job["channels"]
    pixels = np.fromfile(os.path.join(args.dir, "pixels.u8"), dtype=np.uint8).reshape(-1, s, s, ch)
    labels = np.array(job["labels"], dtype=np.int64)
    mean = np.array(job["channelMean"], dtype=np.float32)
    std = np.array(job["channelStd"], dtype=np.float32)

    # Normalised NCHW float32 copies of the three splits; black (0) normalises to -mean/std.
    def normalised(idx):
        x = (pixels[idx].astype(np.float32) / 255.0 - mean) / std
        return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))

    train_idx = np.array(job["train"], dtype=np.int64)
    val_idx = np.array(job["val"], dtype=np.int64)
    x_train, y_train = normalised(train_idx), torch.from_numpy(labels[train_idx])
    x_val, y_val = normalised(val_idx), torch.from_numpy(labels[val_idx])
    x_test = normalised(np.array(job["test"], dtype=np.int64))
    black = torch.from_numpy(-mean / std)[None, :, None, None]
    pad = max(1, round(s / 8))
    t = job["training"]
    augment = t["augment"]["flip"] or t["augment"]["crop"]

    def predict(model, x):
        model.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(x), 256):
                out.append(model(x[start:start + 256]))
        return torch.cat(out) if out else torch.zeros(0, job["numClasses"])

    def augmented(xb, rng):
        n = len(xb)
        if t["augment"]["crop"]:
            padded = black.expand(n, ch, s + 2 * pad, s + 2 * pad).clone()
            padded[:, :, pad:pad + s, pad:pad + s] = xb
            dy, dx = rng.integers(0, 2 * pad + 1, size=(2, n))
            xb = torch.stack([padded[i, :, dy[i]:dy[i] + s, dx[i]:dx[i] + s] for i in range(n)])
        if t["augment"]["flip"]:
            flips = rng.random(n) < 0.5
            if flips.any():
                xb = xb.clone()
                xb[flips] = xb[flips].flip(3)
        return xb

    start = time.perf_counter()
    cpu_start = time.process_time()
    images = 0
    runs = []
    for run in job["runs"]:
        run_start = time.perf_counter()
        torch.manual_seed(run["seed"])
        rng = np.random.default_rng(run["seed"])
        model = build_model(job, ch, job["numClasses"])
        optimizer = make_optimizer(model, t)
        criterion = loss_fn(run["loss"], job["trainCounts"])
        steps_per_epoch = len(batches_of(np.arange(len(train_idx)), t["batchSize"]))
        total = steps_per_epoch * t["epochs"]
        step = 0
        best = (-1.0, None)
        for epoch in range(t["epochs"]):
            model.train()
            for b in batches_of(rng.permutation(len(train_idx)), t["batchSize"]):
                for g in optimizer.param_groups:
                    g["lr"] = learning_rate(t, step, total)
                xb = augmented(x_train[b], rng) if augment else x_train[b]
                optimizer.zero_grad(set_to_none=True)
                loss = criterion(model(xb), y_train[b])
                loss.backward()
                optimizer.step()
                loss.item()  # read back every step, as LossLab does to catch divergence
                step += 1
                images += len(b)
            val_logits = predict(model, x_val)
            if len(val_logits):
                acc = (val_logits.argmax(1) == y_val).float().mean().item()
                if acc > best[0]:
                    best = (acc, {k: v.clone() for k, v in model.state_dict().items()})
        predict(model, x_test)
        if best[1] is not None:
            model.load_state_dict(best[1])
            predict(model, x_test)
        runs.append({"run": "%s#seed%d" % (run["loss"], run["seed"]), "seconds": round(time.perf_counter() - run_start, 2)})
    train_seconds = time.perf_counter() - start
    print(json.dumps({
        "engine": "pytorch",
        "version": torch.__version__,
        "threads": args.threads,
        "mode": "runs one after another",
        "runs": runs,
        "trainingSeconds": round(train_seconds, 2),
        "processSeconds": round(time.perf_counter() - T0, 2),
        "cpuSeconds": round(time.process_time(), 2),
        "trainingCpuSeconds": round(time.process_time() - cpu_start, 2),
        "imagesTrained": images,
        "imagesPerSecond": round(images / train_seconds, 1),
    }))
