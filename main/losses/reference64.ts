/**
 * Test-only float64 reference implementations, written directly from each paper's formula
 * (and, for reductions, from the reference code) in plain JavaScript. Deliberately shares no
 * code with the tfjs implementations: no log-space tricks, no shared weight helpers, just the
 * textbook expressions, so that an error in the module cannot cancel out in a comparison.
 * Inputs are kept moderate (|z| ≲ 10) where these naive forms are accurate in float64.
 */

export type Matrix = number[][];
export interface RefContext {
  counts: number[];
  totalEpochs: number;
}
export type RefParams = Record<string, number | string | number[] | null>;
export interface RefResult {
  perSample: number[] | null;
  loss: number;
}
export type RefLoss = (z: Matrix, y: number[], p: RefParams, ctx: RefContext, epoch: number) => RefResult;

const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
const meanOf = (a: number[]): number => sum(a) / a.length;

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = sum(e);
  return e.map((v) => v / s);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** −[t·log σ(x) + (1−t)·log(1−σ(x))], straight from the definition. */
const bce = (x: number, t: number): number => -(t * Math.log(sigmoid(x)) + (1 - t) * Math.log(1 - sigmoid(x)));

const ceRow = (row: number[], y: number): number => -Math.log(softmax(row)[y]!);

function plainMean(perSample: number[]): RefResult {
  return { perSample, loss: meanOf(perSample) };
}

function counts1(counts: number[]): number[] {
  return counts.map((n) => (n === 0 ? 1 : n));
}

function normalise(w: number[]): number[] {
  const s = sum(w);
  return w.map((v) => (v * w.length) / s);
}

function cbWeights(counts: number[], beta: number): number[] {
  return normalise(counts1(counts).map((n) => (1 - beta) / (1 - Math.pow(beta, n))));
}

function vectorParam(v: RefParams[string], C: number): number[] | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return new Array<number>(C).fill(v);
  return v as number[];
}

function l2rows(f: Matrix): Matrix {
  return f.map((r) => {
    const n = Math.sqrt(sum(r.map((v) => v * v)));
    return r.map((v) => v / n);
  });
}

const dot = (a: number[], b: number[]): number => sum(a.map((v, i) => v * b[i]!));

export const REFERENCE: Record<string, RefLoss> = {
  ce: (z, y) => plainMean(z.map((r, i) => ceRow(r, y[i]!))),

  'weighted-ce': (z, y, p, ctx) => {
    const C = z[0]!.length;
    let w: number[];
    if (p['scheme'] === 'custom') w = normalise(vectorParam(p['weights'] ?? null, C)!);
    else if (p['scheme'] === 'inverse-sqrt') w = normalise(counts1(ctx.counts).map((n) => 1 / Math.sqrt(n)));
    else w = normalise(counts1(ctx.counts).map((n) => 1 / n));
    const per = z.map((r, i) => w[y[i]!]! * ceRow(r, y[i]!));
    return { perSample: per, loss: sum(per) / sum(y.map((c) => w[c]!)) };
  },

  'cb-ce': (z, y, p, ctx) => {
    const w = cbWeights(ctx.counts, p['beta'] as number);
    const per = z.map((r, i) => w[y[i]!]! * ceRow(r, y[i]!));
    return { perSample: per, loss: sum(per) / z.length };
  },

  'cb-sigmoid': (z, y, p, ctx) => {
    const w = cbWeights(ctx.counts, p['beta'] as number);
    const per = z.map((r, i) => w[y[i]!]! * sum(r.map((v, c) => bce(v, c === y[i] ? 1 : 0))));
    return { perSample: per, loss: sum(per) / z.length };
  },

  'cb-focal': (z, y, p, ctx) => {
    const w = cbWeights(ctx.counts, p['beta'] as number);
    const g = p['gamma'] as number;
    const per = z.map((r, i) =>
      w[y[i]!]! *
      sum(
        r.map((v, c) => {
          const t = c === y[i] ? 1 : 0;
          const pt = t ? sigmoid(v) : 1 - sigmoid(v);
          return Math.pow(1 - pt, g) * bce(v, t);
        }),
      ),
    );
    return { perSample: per, loss: sum(per) / z.length };
  },

  focal: (z, y, p) => {
    const C = z[0]!.length;
    const alpha = vectorParam(p['alpha'] ?? null, C);
    const g = p['gamma'] as number;
    return plainMean(
      z.map((r, i) => {
        const py = softmax(r)[y[i]!]!;
        return -(alpha ? alpha[y[i]!]! : 1) * Math.pow(1 - py, g) * Math.log(py);
      }),
    );
  },

  'sigmoid-focal': (z, y, p) => {
    const a = p['alpha'] as number | null;
    const g = p['gamma'] as number;
    const elements: number[][] = z.map((r, i) =>
      r.map((v, c) => {
        const t = c === y[i] ? 1 : 0;
        const prob = sigmoid(v);
        const pt = prob * t + (1 - prob) * (1 - t);
        let l = bce(v, t) * Math.pow(1 - pt, g);
        if (a !== null) l *= a * t + (1 - a) * (1 - t);
        return l;
      }),
    );
    return { perSample: elements.map(meanOf), loss: meanOf(elements.flat()) };
  },

  'label-smoothing': (z, y, p) => {
    const e = p['epsilon'] as number;
    return plainMean(
      z.map((r, i) => {
        const prob = softmax(r);
        return -sum(prob.map((pc, c) => ((c === y[i] ? 1 - e : 0) + e / r.length) * Math.log(pc)));
      }),
    );
  },

  'logit-adjusted': (z, y, p, ctx) => {
    const n = counts1(ctx.counts);
    const total = sum(n);
    const tau = p['tau'] as number;
    return plainMean(z.map((r, i) => ceRow(r.map((v, c) => v + tau * Math.log(n[c]! / total)), y[i]!)));
  },

  'balanced-softmax': (z, y, _p, ctx) => {
    const n = counts1(ctx.counts);
    return plainMean(
      z.map((r, i) => {
        const num = n[y[i]!]! * Math.exp(r[y[i]!]!);
        const den = sum(r.map((v, c) => n[c]! * Math.exp(v)));
        return -Math.log(num / den);
      }),
    );
  },

  ldam: (z, y, p, ctx, epoch) => {
    const n = counts1(ctx.counts);
    const raw = n.map((v) => Math.pow(v, -0.25));
    const top = Math.max(...raw);
    const m = raw.map((v) => (v / top) * (p['maxMargin'] as number));
    const s = p['s'] as number;
    const per = z.map((r, i) => ceRow(r.map((v, c) => s * (c === y[i] ? v - m[c]! : v)), y[i]!));
    const drw = p['drw'] === 'on' && epoch / ctx.totalEpochs >= (p['drwStart'] as number) - 1e-12;
    if (!drw) return plainMean(per);
    const w = cbWeights(ctx.counts, p['drwBeta'] as number);
    const weighted = per.map((l, i) => w[y[i]!]! * l);
    return { perSample: weighted, loss: sum(weighted) / sum(y.map((c) => w[c]!)) };
  },

  mse: (z, y) => plainMean(z.map((r, i) => sum(softmax(r).map((pc, c) => (pc - (c === y[i] ? 1 : 0)) ** 2)))),

  mae: (z, y) => plainMean(z.map((r, i) => sum(softmax(r).map((pc, c) => Math.abs(pc - (c === y[i] ? 1 : 0)))))),

  hinge: (z, y, p) =>
    plainMean(z.map((r, i) => Math.max(0, (p['margin'] as number) + Math.max(...r.filter((_, c) => c !== y[i])) - r[y[i]!]!))),

  'squared-hinge': (z, y, p) =>
    plainMean(z.map((r, i) => Math.max(0, (p['margin'] as number) + Math.max(...r.filter((_, c) => c !== y[i])) - r[y[i]!]!) ** 2)),

  poly1: (z, y, p) =>
    plainMean(
      z.map((r, i) => {
        const py = softmax(r)[y[i]!]!;
        return -Math.log(py) + (p['epsilon'] as number) * (1 - py);
      }),
    ),

  gce: (z, y, p) => {
    const q = p['q'] as number;
    return plainMean(z.map((r, i) => (1 - Math.pow(softmax(r)[y[i]!]!, q)) / q));
  },

  sce: (z, y, p) =>
    plainMean(
      z.map((r, i) => {
        const prob = softmax(r).map((v) => Math.min(Math.max(v, 1e-7), 1));
        const rce = -sum(prob.map((pc, c) => pc * Math.log(Math.min(Math.max(c === y[i] ? 1 : 0, 1e-4), 1))));
        return (p['alpha'] as number) * ceRow(r, y[i]!) + (p['beta'] as number) * rce;
      }),
    ),

  dice: (z, y, p) => {
    const C = z[0]!.length;
    const prob = z.map(softmax);
    const s = p['smooth'] as number;
    const k = p['denominator'] === 'squared' ? 2 : 1;
    let total = 0;
    for (let c = 0; c < C; c++) {
      let inter = 0;
      let pSum = 0;
      let gSum = 0;
      prob.forEach((row, i) => {
        const g = y[i] === c ? 1 : 0;
        inter += row[c]! * g;
        pSum += Math.pow(row[c]!, k);
        gSum += Math.pow(g, k);
      });
      total += (2 * inter + s) / (pSum + gSum + s);
    }
    return { perSample: null, loss: 1 - total / C };
  },

  contrastive: (f, y, p) => {
    const u = l2rows(f);
    const m = p['margin'] as number;
    const B = u.length;
    const pairLoss = (i: number, j: number): number => {
      const d = Math.sqrt(sum(u[i]!.map((v, k) => (v - u[j]![k]!) ** 2)));
      return y[i] === y[j] ? 0.5 * d * d : 0.5 * Math.max(0, m - d) ** 2;
    };
    const pairs: number[] = [];
    for (let i = 0; i < B; i++) for (let j = i + 1; j < B; j++) pairs.push(pairLoss(i, j));
    const per = u.map((_, i) => {
      let s = 0;
      for (let j = 0; j < B; j++) if (j !== i) s += pairLoss(i, j);
      return B > 1 ? s / (B - 1) : 0;
    });
    return { perSample: per, loss: pairs.length ? meanOf(pairs) : 0 };
  },

  supcon: (f, y, p) => {
    const u = l2rows(f);
    const tau = p['temperature'] as number;
    const per = u.map((ui, i) => {
      const positives = u.map((_, j) => j).filter((j) => j !== i && y[j] === y[i]);
      if (positives.length === 0) return 0;
      const denom = sum(u.map((ua, a) => (a === i ? 0 : Math.exp(dot(ui, ua) / tau))));
      return -meanOf(positives.map((j) => Math.log(Math.exp(dot(ui, u[j]!) / tau) / denom)));
    });
    return plainMean(per);
  },
};

/** Central finite differences of the reference batch loss with respect to every input value. */
export function finiteDifferenceGradient(ref: RefLoss, z: Matrix, y: number[], p: RefParams, ctx: RefContext, epoch: number, h = 1e-6): Matrix {
  return z.map((row, i) =>
    row.map((_, j) => {
      const plus = z.map((r) => r.slice());
      const minus = z.map((r) => r.slice());
      plus[i]![j]! += h;
      minus[i]![j]! -= h;
      return (ref(plus, y, p, ctx, epoch).loss - ref(minus, y, p, ctx, epoch).loss) / (2 * h);
    }),
  );
}
