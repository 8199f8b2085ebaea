import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { ANALYSIS_METRICS } from '../analysis/types';
import type { RunResult } from '../results/types';
import { writeFileAtomic } from '../util/atomic-write';
import { csvRow } from '../util/csv';
import type { ReportContext } from './context';
import { METRIC_COLUMNS } from './labels';

type Cell = string | number | null | undefined;

/** The tidy tables, one per kind: one observation per row, one variable per column. */
export const CSV_TABLES = ['runs', 'summary', 'per-class', 'confusion', 'comparisons', 'mcnemar', 'reliability'] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

/** How each run was trained beyond its loss (main/methods): empty for plain training, apart from the images drawn per class. */
const RECIPE_COLUMNS = ['sampler', 'drw_epoch', 'drs_epoch', 'second_stage', 'seen_per_class'];

function recipeCells(run: RunResult | undefined): Cell[] {
  const recipe = run?.recipe;
  return [
    recipe?.sampler ?? (run ? 'instance' : null),
    run?.drwEpoch ?? null,
    run?.drsEpoch ?? null,
    recipe?.secondStage?.kind ?? null,
    run?.seenPerClass ? run.seenPerClass.join(' ') : null,
  ];
}

export function csvTables(ctx: ReportContext): Record<CsvTable, Cell[][]> {
  const { results } = ctx.experiment;
  const a = ctx.analysis;
  const classes = results.classes;
  const rankOf = new Map(results.dataset.headToTail.map((c, i) => [c, i + 1]));
  const metricCols = ANALYSIS_METRICS.map((m) => METRIC_COLUMNS[m]);
  const runInfo = new Map(results.runs.map((r) => [r.runId, r]));

  const runs: Cell[][] = [['row', 'kind', 'loss', 'source', 'seed', 'run_id', 'status', ...metricCols, 'temperature', 'best_epoch', 'train_seconds', 'images_per_second', ...RECIPE_COLUMNS]];
  for (const v of a.variants) {
    for (const r of v.runs) {
      const info = v.kind === 'trained' ? runInfo.get(r.runId) : undefined;
      // A post-hoc row keeps the recipe of the run it adjusts.
      const trained = runInfo.get(r.runId.replace(/\+(posthoc-la|tau-norm)$/, ''));
      runs.push([v.key, v.kind, v.loss, v.source ?? '', r.seed, r.runId, 'done', ...ANALYSIS_METRICS.map((m) => r.metrics[m]), r.temperature, info?.bestEpoch, info?.trainSeconds, info?.imagesPerSecond, ...recipeCells(trained)]);
    }
  }
  // Failed and cancelled runs stay visible, with empty metrics.
  for (const r of results.runs.filter((x) => x.status !== 'done')) runs.push([r.lossKey, 'trained', r.loss, '', r.seed, r.runId, r.status, ...ANALYSIS_METRICS.map(() => null), null, null, null, null, ...recipeCells(r)]);

  const summary: Cell[][] = [['row', 'kind', 'metric', 'n', 'mean', 'std', 'ci95_low', 'ci95_high']];
  for (const v of a.variants) {
    for (const m of ANALYSIS_METRICS) {
      const s = v.metrics[m];
      summary.push([v.key, v.kind, METRIC_COLUMNS[m], s.n, s.mean, s.std, s.ci95?.[0], s.ci95?.[1]]);
    }
  }

  const perClass: Cell[][] = [['row', 'kind', 'seed', 'run_id', 'class', 'class_index', 'head_to_tail_rank', 'train_count', 'support', 'precision', 'recall', 'f1']];
  const confusion: Cell[][] = [['row', 'kind', 'seed', 'run_id', 'true_class', 'predicted_class', 'count']];
  for (const v of a.variants) {
    for (const r of v.runs) {
      r.perClass.forEach((p, c) => perClass.push([v.key, v.kind, r.seed, r.runId, classes[c], c, rankOf.get(c), results.dataset.counts.train[c], p.support, p.precision, p.recall, p.f1]));
      r.confusion.forEach((row, i) => row.forEach((count, j) => confusion.push([v.key, v.kind, r.seed, r.runId, classes[i], classes[j], count])));
    }
  }

  const rank = new Map((a.ranking?.entries ?? []).map((e) => [e.key, e.rank]));
  const comparisons: Cell[][] = [['row', 'baseline', 'seeds', 'baseline_balanced_accuracy', 'balanced_accuracy', 'difference', 'ci_low', 'ci_high', 'level', 'significant', 'mcnemar_p_max', 'mcnemar_significant', 'rank']];
  const mcnemar: Cell[][] = [['row', 'baseline', 'seed', 'b_only_baseline_correct', 'c_only_row_correct', 'method', 'statistic', 'p_value']];
  for (const c of a.comparisons) {
    comparisons.push([c.key, c.baseline, c.seeds.join(' '), c.baselineBalancedAccuracy, c.candidateBalancedAccuracy, c.difference, c.interval[0], c.interval[1], a.settings.level, c.significant ? 'true' : 'false', c.mcnemar.pMax, c.mcnemar.significant ? 'true' : 'false', rank.get(c.key)]);
    for (const s of c.mcnemar.perSeed) mcnemar.push([c.key, c.baseline, s.seed, s.b, s.c, s.method, s.statistic, s.pValue]);
  }

  const reliability: Cell[][] = [['row', 'kind', 'temperature_scaled', 'bin', 'lower', 'upper', 'count', 'accuracy', 'confidence']];
  for (const v of a.variants) {
    const pairs = [['false', v.calibration?.reliability], ['true', v.calibration?.reliabilityTemperatureScaled]] as const;
    for (const [scaled, diagram] of pairs) diagram?.bins.forEach((b, k) => reliability.push([v.key, v.kind, scaled, k, b.lower, b.upper, b.count, b.accuracy, b.confidence]));
  }
  return { runs, summary, 'per-class': perClass, confusion, comparisons, mcnemar, reliability };
}

/**
 * Where each table goes. An output ending in .csv (a save dialog's answer) becomes the stem
 * of sibling files, report.csv → report-runs.csv, report-summary.csv, …; any other path is a
 * folder holding runs.csv, summary.csv, ….
 */
export function csvPaths(outPath: string): Record<CsvTable, string> {
  const out = {} as Record<CsvTable, string>;
  const isFile = outPath.toLowerCase().endsWith('.csv');
  const dir = isFile ? path.dirname(outPath) : outPath;
  const stem = isFile ? path.basename(outPath, path.extname(outPath)) + '-' : '';
  for (const t of CSV_TABLES) out[t] = path.join(dir, `${stem}${t}.csv`);
  return out;
}

/** The tables as CSV text, keyed by file name (runs.csv, summary.csv, …). */
export function csvFiles(ctx: ReportContext): Record<string, string> {
  const tables = csvTables(ctx);
  const files: Record<string, string> = {};
  for (const t of CSV_TABLES) files[`${t}.csv`] = tables[t].map((row) => csvRow(row)).join('\n') + '\n';
  return files;
}

/** One .zip archive holding every table (runs.csv, summary.csv, …): one file to save or download. */
export function csvZip(ctx: ReportContext): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(csvFiles(ctx))) entries[name] = strToU8(text);
  // A fixed timestamp keeps the archive reproducible for the same results.
  return zipSync(entries, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') });
}

/**
 * Writes the tables: into one archive when `outPath` ends in .zip, otherwise as separate files
 * (see csvPaths). Returns every file written.
 */
export function writeCsvReport(ctx: ReportContext, outPath: string): string[] {
  if (outPath.toLowerCase().endsWith('.zip')) {
    writeFileAtomic(outPath, csvZip(ctx));
    return [outPath];
  }
  const tables = csvTables(ctx);
  const paths = csvPaths(outPath);
  return CSV_TABLES.map((t) => {
    writeFileAtomic(paths[t], tables[t].map((row) => csvRow(row)).join('\n') + '\n');
    return paths[t];
  });
}
