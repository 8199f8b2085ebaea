/**
 * Report generation speed on a synthetic but valid experiment folder written through the
 * real writers (results.json, logits.json, …): by default 5 losses × 3 seeds × 10 classes
 * with 100 test images per class, thumbnails on disk, 2,000 bootstrap resamples.
 *
 *   node dist/bench/report-speed.js [--losses 5] [--seeds 3] [--classes 10] [--test-per-class 100] [--resamples 2000] [--repeats 3] [--no-pdf]
 *
 * Prints one JSON object: per format the first (cold, in a fresh process: module loading
 * included, as the CLI pays it) and the warm median time in milliseconds, and a breakdown
 * of the warm HTML path. Asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeExperiment } from '../main/analysis/analyze';
import { loadExperiment } from '../main/analysis/load';
import { DEFAULT_SYNTHETIC_LOSSES, writeSyntheticExperiment } from '../main/analysis/synthetic';
import { buildReportContext, exportReport, findChromium, renderHtml, type ReportFormat } from '../main/report';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

const LOSS_IDS = [...DEFAULT_SYNTHETIC_LOSSES.map((l) => l.id), 'ldam', 'cb-ce', 'mse', 'poly1', 'gce'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** A fresh Node process that loads the report module and writes one format: what `losslab report` costs. */
function coldRun(dir: string, format: ReportFormat, out: string, resamples: number): number {
  const script = `const t=performance.now();require(${JSON.stringify(path.join(__dirname, '..', 'main', 'report', 'index.js'))}).exportReport(${JSON.stringify(dir)},${JSON.stringify(format)},${JSON.stringify(out)},{resamples:${resamples}}).then(()=>process.stdout.write(String(performance.now()-t+performance.timeOrigin-performance.timeOrigin)))`;
  const started = performance.now();
  execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const losses = arg('losses', 5);
  const seeds = arg('seeds', 3);
  const classes = arg('classes', 10);
  const testPerClass = arg('test-per-class', 100);
  const resamples = arg('resamples', 2000);
  const repeats = arg('repeats', 3);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-report-bench-'));
  try {
    const setupStart = performance.now();
    const dir = await writeSyntheticExperiment(path.join(root, 'experiment'), {
      losses: LOSS_IDS.slice(0, losses).map((id) => ({ id })),
      seeds: Array.from({ length: seeds }, (_, i) => i + 1),
      classes,
      testPerClass,
      valPerClass: 20,
      headCount: 500,
      ratio: 100,
      epochs: 15,
      images: true,
    });
    const setupMs = performance.now() - setupStart;
    let pdf = process.argv.includes('--no-pdf') ? null : 'yes';
    if (pdf) {
      try {
        findChromium();
      } catch {
        pdf = null;
      }
    }
    const formats: ReportFormat[] = ['html', 'md', 'csv', 'json', ...(pdf ? (['pdf'] as const) : [])];
    const byFormat: Record<string, { coldMs: number; warmMedianMs: number; files: number; bytes: number }> = {};
    for (const format of formats) {
      const out = path.join(root, format === 'csv' ? 'csv' : `report.${format}`);
      const coldMs = coldRun(dir, format, out, resamples);
      const warm: number[] = [];
      let files: string[] = [];
      for (let r = 0; r < repeats; r++) warm.push(await time(async () => (files = await exportReport(dir, format, out, { resamples }))));
      byFormat[format] = { coldMs: Math.round(coldMs), warmMedianMs: Math.round(median(warm)), files: files.length, bytes: files.reduce((s, f) => s + fs.statSync(f).size, 0) };
    }
    // Where the warm HTML time goes.
    let experiment = loadExperiment(dir);
    const loadMs = await time(() => (experiment = loadExperiment(dir)));
    const analyzeMs = await time(() => analyzeExperiment(experiment, { resamples }));
    const ctx = buildReportContext(dir, { resamples });
    const renderMs = await time(() => renderHtml(ctx));
    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: 'report-speed',
          shape: { losses, seeds, classes, runs: losses * seeds, testImages: classes * testPerClass, bootstrapResamples: resamples },
          machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map((x) => Number(x.toFixed(2))), node: process.versions.node },
          setupMs: Math.round(setupMs),
          formats: byFormat,
          htmlBreakdownMs: { loadFolder: Math.round(loadMs), analysis: Math.round(analyzeMs), renderHtmlWithThumbnails: Math.round(renderMs) },
          ...(pdf ? {} : { pdf: 'skipped: no Chromium found' }),
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
