import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadExperiment, type LoadedExperiment } from '../analysis/load';
import type { AnalysisRow, AnalysisView, ParsedRequest, PredictionsPage, Responses } from '../api/contract';
import type { AnalysisJob, FromAnalysisWorker } from './analysis-worker';
import { recipeLabel } from '../losses/recipe-label';
import type { ExperimentStore } from '../store/experiment-store';
import type { FolderAccess } from './folder-access';
import { readStoredResults } from './history-service';
import { absoluteTestPath, predictionAt } from './test-predictions';
import type { ImageUrl } from './types';

export interface AnalysisServiceOptions {
  store: Pick<ExperimentStore, 'open'>;
  access: FolderAccess;
  imageUrl: ImageUrl;
}

/** The files of a trained model in the store (TensorFlow.js layers format). */
export const MODEL_FILES = ['model.json', 'weights.bin'] as const;

/** Runs the reports' analysis of a folder in its own thread (analysis-worker.ts). */
function analyseInThread(job: AnalysisJob): Promise<Extract<FromAnalysisWorker, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'analysis-worker.js'), { workerData: job });
    let settled = false;
    worker.once('message', (answer: FromAnalysisWorker) => {
      settled = true;
      if (answer.ok) resolve(answer);
      else {
        const error = new Error(answer.message);
        error.name = answer.name;
        reject(error);
      }
    });
    worker.once('error', (error) => {
      settled = true;
      reject(new Error(`The analysis failed: ${error.message}`));
    });
    worker.once('exit', () => {
      if (!settled) reject(new Error('The analysis thread stopped before it answered.'));
    });
  });
}

/**
 * What the Results screen shows beyond results.json: the reports' analysis (so app and report
 * show the same numbers), each test image's predictions across losses, and the stored models.
 */
export function createAnalysisService({ store, access, imageUrl }: AnalysisServiceOptions) {
  // The screen asks again for each baseline and each page of images: keep the loaded folder
  // (logits parsed once) and the analyses, until results.json changes (a resume rewrites it).
  let loaded: { id: string; stamp: number; experiment: LoadedExperiment } | null = null;
  /** Analyses of the open experiment by baseline, for the results.json they were computed from. */
  let analyses: { id: string; stamp: number; byBaseline: Map<string, Promise<AnalysisView>> } | null = null;

  /** results.json's modification time: a resume rewrites it, and then nothing cached is valid. */
  function stampOf(id: string): number {
    readStoredResults(store, id); // a clear message for an unknown id or one with no results yet
    return statSync(path.join(store.open(id).dir, 'results.json')).mtimeMs;
  }

  function experimentOf(id: string): LoadedExperiment {
    const stamp = stampOf(id);
    if (loaded?.id !== id || loaded.stamp !== stamp) loaded = { id, stamp, experiment: loadExperiment(store.open(id).dir) };
    return loaded.experiment;
  }

  /** Index of every run in the store's folder layout (runs/<index>/), by run id. */
  function runIndexes(id: string): Map<string, number> {
    return new Map(store.open(id).readRecord().runs.map((run) => [run.runId, run.index]));
  }

  function modelDir(id: string, index: number): string {
    return path.join(store.open(id).runDir(index), 'model');
  }

  function hasModel(id: string, index: number | undefined): boolean {
    return index !== undefined && MODEL_FILES.every((file) => existsSync(path.join(modelDir(id, index), file)));
  }

  /** The analysis with the reports' defaults (2000 resamples, bootstrap seed 0, 95%): the same intervals as an export. */
  async function compute(id: string, baseline: string | undefined): Promise<AnalysisView> {
    const { analysis: full, verdict } = await analyseInThread({ dir: store.open(id).dir, ...(baseline !== undefined ? { baseline } : {}) });
    const indexes = runIndexes(id);
    const variants: AnalysisRow[] = full.variants.map(({ runs, curves: _curves, confusion: _confusion, ...row }) => ({
      ...row,
      runs: runs.map((r) => ({ seed: r.seed, runId: r.runId })),
      modelRuns: row.kind === 'trained' ? runs.filter((r) => hasModel(id, indexes.get(r.runId))).map((r) => ({ seed: r.seed, runId: r.runId })) : [],
    }));
    const { hardest: _hardest, ...rest } = full;
    return { analysis: { ...rest, variants }, verdict };
  }

  return {
    async analysis({ id, baseline }: ParsedRequest<'experiments.analysis'>): Promise<Responses['experiments.analysis']> {
      const stamp = stampOf(id);
      if (analyses?.id !== id || analyses.stamp !== stamp) analyses = { id, stamp, byBaseline: new Map() };
      const cacheKey = baseline ?? '';
      const cached = analyses.byBaseline.get(cacheKey);
      if (cached) return cached;
      const computing = compute(id, baseline);
      analyses.byBaseline.set(cacheKey, computing);
      // A failure is not kept: the next call tries again.
      const cache = analyses.byBaseline;
      computing.catch(() => {
        if (cache.get(cacheKey) === computing) cache.delete(cacheKey);
      });
      return computing;
    },

    async predictions(request: ParsedRequest<'experiments.predictions'>): Promise<PredictionsPage> {
      const { id, offset, limit, filter, trueClass } = request;
      const experiment = experimentOf(id);
      const { results, logits } = experiment;
      const C = results.classes.length;
      if (trueClass !== undefined && trueClass >= C) throw new Error(`There is no class ${trueClass}: experiment ${id} has ${C} classes (0 to ${C - 1}).`);
      const finished = results.runs.filter((r) => r.status === 'done' && logits.has(r.runId));
      const seeds = [...new Set(finished.map((r) => r.seed))].sort((a, b) => a - b);
      if (seeds.length === 0) {
        throw new Error(`Experiment ${id} has no saved predictions${experiment.logitsProblem ? ` (${experiment.logitsProblem})` : ''}, so its test images cannot be compared across losses.`);
      }
      const seed = request.seed ?? seeds[0]!;
      if (!seeds.includes(seed)) throw new Error(`No run of seed ${seed} has predictions; seeds with predictions: ${seeds.join(', ')}.`);
      // Columns in the configuration's loss order (results.summary keeps it).
      const order = results.summary.map((s) => s.lossKey);
      const runs = finished.filter((r) => r.seed === seed).sort((a, b) => order.indexOf(a.lossKey) - order.indexOf(b.lossKey));
      const columns = runs.map((r) => logits.get(r.runId)!.test);

      const matching: number[] = [];
      results.testItems.forEach((item, row) => {
        if (trueClass !== undefined && item.classIndex !== trueClass) return;
        if (filter !== 'all') {
          const predicted = columns.map((column) => predictionAt(column, row, C).predicted);
          if (filter === 'disagree' && predicted.every((p) => p === predicted[0])) return;
          if (filter === 'wrong' && predicted.every((p) => p === item.classIndex)) return;
        }
        matching.push(row);
      });
      const items = matching.slice(offset, offset + limit).map((row) => {
        const item = results.testItems[row]!;
        const absolutePath = absoluteTestPath(results, item.file);
        return { index: row, file: item.file, absolutePath, url: imageUrl(absolutePath), trueClass: item.classIndex, predictions: columns.map((column) => predictionAt(column, row, C)) };
      });
      // The images belong to an experiment the user opened: let the renderer display exactly them.
      await access.chooseFiles(items.map((item) => item.absolutePath));
      return {
        total: matching.length,
        seed,
        seeds,
        runs: runs.map((r) => ({ runId: r.runId, lossKey: r.lossKey, label: r.label ?? recipeLabel(r.loss, r.params).display })),
        items,
      };
    },

    /** The folder holding a run's stored model; an error that says why when there is none. */
    modelFolder(id: string, runId: string): { dir: string; files: string[]; name: string } {
      const results = readStoredResults(store, id);
      const run = results.runs.find((r) => r.runId === runId);
      if (!run) throw new Error(`Experiment ${id} has no run "${runId}".`);
      if (run.status !== 'done') throw new Error(`Run ${runId} did not finish (${run.status}), so it has no trained model.`);
      const index = runIndexes(id).get(runId);
      if (!hasModel(id, index)) throw new Error(`The store kept no weights for run ${runId} (runs/${index ?? '?'}/model is missing). Only experiments trained by the app or \`losslab run\` with weights kept have them.`);
      const dir = modelDir(id, index!);
      const name = `losslab-${id}-${recipeLabel(run.loss, run.params).name}-seed${run.seed}`.replace(/[^\w.-]+/g, '-').replace(/-+/g, '-');
      return { dir, files: MODEL_FILES.map((file) => path.join(dir, file)), name };
    },
  };
}

export type AnalysisService = ReturnType<typeof createAnalysisService>;
