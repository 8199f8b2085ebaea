#!/usr/bin/python3
"""Regenerates pytorch-golden.json: values and logit gradients of the catalogue losses computed
by PyTorch 1.13 / torchvision 0.14 (Debian python3-torch, python3-torchvision), in float64.

Dev-only oracle; LossLab itself never runs Python. Where a loss exists in PyTorch or
torchvision the library function is called (cross_entropy with weight= and label_smoothing=,
torchvision.ops.sigmoid_focal_loss). Otherwise the computation follows the authors' released
code as literally as possible: Cui et al. (TF1 tf.losses reductions), LDAM-DRW's LDAMLoss and
FocalLoss, SCELoss, SupConLoss (HobbitLong/SupContrast, one view).

    /usr/bin/python3 main/losses/golden/make_pytorch_golden.py > main/losses/golden/pytorch-golden.json
"""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

torch.set_default_dtype(torch.float64)

Z = [[1.2, -0.4, 0.3, 2.1], [0.1, 0.8, -1.5, 0.2], [-0.7, 0.4, 1.9, -0.2],
     [0.5, -1.1, 0.6, 1.4], [2.2, 0.3, -0.9, 0.0], [-0.3, 1.7, 0.2, -1.2]]
Y = [0, 1, 2, 3, 0, 0]
COUNTS = [300, 40, 5, 1]
F_EMB = [[0.9, -0.2, 0.4], [1.1, 0.1, 0.3], [-0.5, 0.8, 0.2], [-0.4, 1.0, -0.1], [0.2, -0.3, 1.2], [0.7, 0.0, 0.5]]
Y_EMB = [0, 0, 1, 1, 2, 0]
C = len(COUNTS)


def cb_weights(beta):
    effective_num = 1.0 - np.power(beta, COUNTS)
    w = (1.0 - beta) / np.array(effective_num)
    return w / np.sum(w) * C


def cui(loss_type, beta, gamma=1.0):
    def f(logits, labels):
        one_hot = F.one_hot(labels, C).double()
        w = torch.tensor(cb_weights(beta)).unsqueeze(0).repeat(one_hot.shape[0], 1) * one_hot
        w = w.sum(1).unsqueeze(1).repeat(1, C)
        if loss_type == 'softmax':
            # tf.losses.softmax_cross_entropy(weights=w_i): SUM_BY_NONZERO_WEIGHTS reduction.
            per = w[:, 0] * F.cross_entropy(logits, labels, reduction='none')
            return per.sum() / (w[:, 0] != 0).sum()
        bce = F.binary_cross_entropy_with_logits(logits, one_hot, reduction='none')
        if loss_type == 'focal':
            bce = torch.exp(-gamma * one_hot * logits - gamma * torch.log1p(torch.exp(-1.0 * logits))) * bce
        return (w * bce).sum() / one_hot.sum()
    return f


def ldam(epoch, total, max_m=0.5, s=30.0, drw=True):
    def f(x, target):
        m_list = 1.0 / np.sqrt(np.sqrt(COUNTS))
        m_list = torch.tensor(m_list * (max_m / np.max(m_list)))
        index = torch.zeros_like(x, dtype=torch.bool)
        index.scatter_(1, target.view(-1, 1), True)
        batch_m = torch.matmul(m_list[None, :], index.double().transpose(0, 1)).view((-1, 1))
        output = torch.where(index, x - batch_m, x)
        weight = None
        if drw:
            idx = 1 if epoch >= 0.8 * total else 0
            weight = torch.tensor(cb_weights([0, 0.9999][idx]))
        return F.cross_entropy(s * output, target, weight=weight)
    return f


def focal_ldam_repo(gamma):
    def f(logits, labels):
        ce = F.cross_entropy(logits, labels, reduction='none')
        p = torch.exp(-ce)
        return ((1 - p) ** gamma * ce).mean()
    return f


def sce(alpha, beta):
    def f(pred, labels):
        ce = F.cross_entropy(pred, labels)
        p = torch.clamp(F.softmax(pred, dim=1), min=1e-7, max=1.0)
        oh = torch.clamp(F.one_hot(labels, C).double(), min=1e-4, max=1.0)
        rce = -1 * torch.sum(p * torch.log(oh), dim=1)
        return alpha * ce + beta * rce.mean()
    return f


def supcon(temperature):
    def f(features, labels):
        features = F.normalize(features, dim=1)
        labels = labels.contiguous().view(-1, 1)
        mask = torch.eq(labels, labels.T).double()
        logits = torch.div(torch.matmul(features, features.T), temperature)
        logits_max, _ = torch.max(logits, dim=1, keepdim=True)
        logits = logits - logits_max.detach()
        n = features.shape[0]
        logits_mask = torch.scatter(torch.ones_like(mask), 1, torch.arange(n).view(-1, 1), 0)
        mask = mask * logits_mask
        exp_logits = torch.exp(logits) * logits_mask
        log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
        pos = mask.sum(1)
        pos = torch.where(pos < 1e-6, torch.ones_like(pos), pos)
        return (-(mask * log_prob).sum(1) / pos).mean()
    return f


def contrastive(margin):
    def f(features, labels):
        u = F.normalize(features, dim=1)
        total, pairs = 0.0, 0
        for i in range(u.shape[0]):
            for j in range(i + 1, u.shape[0]):
                d = torch.norm(u[i] - u[j])
                total = total + (0.5 * d ** 2 if labels[i] == labels[j] else 0.5 * torch.clamp(margin - d, min=0) ** 2)
                pairs += 1
        return total / pairs
    return f


def priors():
    n = torch.tensor(COUNTS, dtype=torch.float64)
    return n / n.sum()


def dice(smooth, squared):
    def f(logits, labels):
        p = F.softmax(logits, dim=1)
        g = F.one_hot(labels, C).double()
        inter = (p * g).sum(0)
        den = ((p ** 2).sum(0) + (g ** 2).sum(0)) if squared else (p.sum(0) + g.sum(0))
        return 1 - ((2 * inter + smooth) / (den + smooth)).mean()
    return f


def hinge(margin, squared):
    def f(z, y):
        true = z.gather(1, y.view(-1, 1)).squeeze(1)
        other = z.masked_fill(F.one_hot(y, C).bool(), -math.inf).max(1).values
        h = torch.clamp(margin + other - true, min=0)
        return (h ** 2 if squared else h).mean()
    return f


w_inv = 1.0 / np.array(COUNTS, dtype=np.float64)
w_inv = w_inv / w_inv.sum() * C
w_sqrt = 1.0 / np.sqrt(np.array(COUNTS, dtype=np.float64))
w_sqrt = w_sqrt / w_sqrt.sum() * C

CASES = [
    ('ce', {}, 0, lambda z, y: F.cross_entropy(z, y)),
    ('weighted-ce', {}, 0, lambda z, y: F.cross_entropy(z, y, weight=torch.tensor(w_inv))),
    ('weighted-ce', {'scheme': 'inverse-sqrt'}, 0, lambda z, y: F.cross_entropy(z, y, weight=torch.tensor(w_sqrt))),
    ('cb-ce', {}, 0, cui('softmax', 0.9999)),
    ('cb-sigmoid', {'beta': 0.99}, 0, cui('sigmoid', 0.99)),
    ('cb-focal', {}, 0, cui('focal', 0.9999, 1.0)),
    ('cb-focal', {'gamma': 2, 'beta': 0.999}, 0, cui('focal', 0.999, 2.0)),
    ('focal', {}, 0, focal_ldam_repo(2.0)),
    ('sigmoid-focal', {}, 0, lambda z, y: sigmoid_focal_loss(z, F.one_hot(y, C).double(), alpha=0.25, gamma=2, reduction='mean')),
    ('sigmoid-focal', {'alpha': 'none', 'gamma': 1}, 0, lambda z, y: sigmoid_focal_loss(z, F.one_hot(y, C).double(), alpha=-1, gamma=1, reduction='mean')),
    ('label-smoothing', {}, 0, lambda z, y: F.cross_entropy(z, y, label_smoothing=0.1)),
    ('logit-adjusted', {'tau': 1.5}, 0, lambda z, y: F.cross_entropy(z + 1.5 * torch.log(priors()), y)),
    ('balanced-softmax', {}, 0, lambda z, y: F.cross_entropy(z + torch.log(torch.tensor(COUNTS, dtype=torch.float64)), y)),
    ('ldam', {}, 3, ldam(3, 10)),
    ('ldam', {}, 8, ldam(8, 10)),
    ('ldam', {'drw': 'off', 's': 5}, 8, ldam(8, 10, s=5.0, drw=False)),
    ('mse', {}, 0, lambda z, y: ((F.softmax(z, 1) - F.one_hot(y, C)) ** 2).sum(1).mean()),
    ('mae', {}, 0, lambda z, y: (F.softmax(z, 1) - F.one_hot(y, C)).abs().sum(1).mean()),
    ('hinge', {}, 0, hinge(1.0, False)),
    ('squared-hinge', {}, 0, hinge(1.0, True)),
    ('poly1', {}, 0, lambda z, y: (F.cross_entropy(z, y, reduction='none') + 1.0 * (1 - (F.softmax(z, 1) * F.one_hot(y, C)).sum(1))).mean()),
    ('gce', {}, 0, lambda z, y: ((1 - F.softmax(z, 1).gather(1, y.view(-1, 1)).squeeze(1) ** 0.7) / 0.7).mean()),
    ('sce', {}, 0, sce(0.1, 1.0)),
    ('dice', {}, 0, dice(1.0, True)),
    ('dice', {'denominator': 'linear'}, 0, dice(1.0, False)),
]
EMB_CASES = [
    ('contrastive', {}, contrastive(1.0)),
    ('supcon', {}, supcon(0.1)),
    ('supcon', {'temperature': 0.5}, supcon(0.5)),
]

out = {'torch': torch.__version__, 'logits': Z, 'labels': Y, 'counts': COUNTS, 'totalEpochs': 10,
       'features': F_EMB, 'featureLabels': Y_EMB, 'cases': []}
for loss_id, params, epoch, fn in CASES:
    z = torch.tensor(Z, requires_grad=True)
    value = fn(z, torch.tensor(Y))
    value.backward()
    out['cases'].append({'id': loss_id, 'params': params, 'epoch': epoch, 'loss': value.item(), 'gradient': z.grad.tolist()})
for loss_id, params, fn in EMB_CASES:
    f = torch.tensor(F_EMB, requires_grad=True)
    value = fn(f, torch.tensor(Y_EMB))
    value.backward()
    out['cases'].append({'id': loss_id, 'params': params, 'epoch': 0, 'embedding': True, 'loss': value.item(), 'gradient': f.grad.tolist()})
print(json.dumps(out, indent=1))
