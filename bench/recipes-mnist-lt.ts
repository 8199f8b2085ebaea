/**
 * Issue #12's measurement: training recipes on a long-tailed MNIST (ρ = 100, from the `mnist`
 * package's real digits), 3 seeds, through the product's own experiment runner. Prints a
 * Markdown table: balanced accuracy, many/medium/few-shot accuracy (mean ± sd over seeds) and the
 * paired bootstrap interval of the balanced-accuracy difference against CE.
 *
 *   node dist/bench/recipes-mnist-lt.js [--epochs 20] [--seeds 1,2,3] [--per-class 600] [--out DIR]
 *
 * A benchmark, not a test: it reports and asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzeExperimentFolder } from '../main/analysis/analyze';
import { parseExperimentConfig } from '../main/experiment/config';
import { ExperimentFolder } from '../main/store/experiment-folder';
import { startStoredExperiment } from '../main/experiment/stored-experiment';
import { writeMnistFolder } from '../tests/fixtures/mnist-folder';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

const RECIPES = [
  { id: 'ce' },
  { id: 'ce', recipe: { sampler: 'class-balanced' } },
  { id: 'ce', recipe: { drw: { epoch: 0 } } }, // epoch filled in below: the last quarter, as in Cao et al.
  { id: 'ldam', params: { drw: 'off' }, recipe: { drw: { epoch: 0 } } },
  { id: 'ce', recipe: { secondStage: { kind: 'crt' } } },
  { id: 'balanced-softmax' },
];

async function main(): Promise<void> {
  const epochs = Number(arg('epochs', '20'));
  const seeds = arg('seeds', '1,2,3').split(',').map(Number);
  const perClass = Number(arg('per-class', '600'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-recipes-'));
  const out = arg('out', path.join(work, 'experiment'));
  const data = await writeMnistFolder(path.join(work, 'mnist'), { digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], perClass, offset: 0 });
  const drwEpoch = Math.floor((epochs * 3) / 4);
  const losses = RECIPES.map((r) => ('recipe' in r && r.recipe && 'drw' in r.recipe ? { ...r, recipe: { drw: { epoch: drwEpoch } } } : r));
  const config = parseExperimentConfig({
    name: 'Recipes on MNIST-LT (ρ = 100)',
    data,
    imageSize: 28,
    imbalance: { kind: 'exp', ratio: 100 },
    losses,
    seeds,
    training: { epochs, batchSize: 64 },
  });
  const started = performance.now();
  const running = startStoredExperiment(new ExperimentFolder(out), config, { cacheDir: path.join(work, 'cache') });
  await running.done;
  const seconds = (performance.now() - started) / 1000;
  const analysis = analyzeExperimentFolder(out, { baseline: 'ce' });
  const fmt = (s: { mean: number | null; std: number | null }) => (s.mean === null ? '—' : `${s.mean.toFixed(3)}${s.std !== null ? ` ± ${s.std.toFixed(3)}` : ''}`);
  const rows = analysis.variants
    .filter((v) => v.kind === 'trained')
    .map((v) => {
      const c = analysis.comparisons.find((x) => x.key === v.key);
      const interval = c ? `${c.difference >= 0 ? '+' : ''}${c.difference.toFixed(3)} [${c.interval[0].toFixed(3)}, ${c.interval[1].toFixed(3)}]${c.significant ? '' : ' n.s.'}` : 'baseline';
      return `| ${v.label} | ${fmt(v.metrics.balancedAccuracy)} | ${fmt(v.metrics.manyShotAccuracy)} | ${fmt(v.metrics.mediumShotAccuracy)} | ${fmt(v.metrics.fewShotAccuracy)} | ${interval} |`;
    });
  console.log(`MNIST-LT, ρ = 100, ${perClass} images per digit before imbalance, ${seeds.length} seeds, ${epochs} epochs, DRW from epoch ${drwEpoch}; ${seconds.toFixed(0)} s on ${os.availableParallelism()} cores; experiment in ${out}\n`);
  console.log('| recipe | balanced acc. | many-shot | medium-shot | few-shot | Δ balanced acc. vs CE [95% paired bootstrap] |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
