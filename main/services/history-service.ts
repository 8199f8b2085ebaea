import fs from 'node:fs/promises';
import path from 'node:path';
import type { CellImage, ParsedRequest, Responses } from '../api/contract';
import type { ExperimentResults } from '../results/types';
import type { ExperimentStore } from '../store/experiment-store';
import type { FolderAccess } from './folder-access';
import type { ImageUrl } from './types';
import { absoluteTestPath, predictionAt } from './test-predictions';

/** The part of logits.json (see results/write.ts) the cell viewer reads. */
interface StoredLogits {
  classes: string[];
  testItems: { file: string; classIndex: number }[];
  runs: Record<string, { test: number[] }>;
}

export interface HistoryServiceOptions {
  store: Pick<ExperimentStore, 'list' | 'open' | 'delete'>;
  access: FolderAccess;
  imageUrl: ImageUrl;
  /** Whether an experiment is still training (its folder must not be deleted under it). */
  isRunning: (id: string) => boolean;
}

/** results.json of an experiment, with a message that says what to do when there is none. */
export function readStoredResults(store: Pick<ExperimentStore, 'open'>, id: string): ExperimentResults {
  const folder = store.open(id);
  if (!folder.exists()) throw new Error(`There is no experiment "${id}" in the store; it may have been deleted. Pick one from the history list.`);
  return folder.readResults();
}

export function createHistoryService({ store, access, imageUrl, isRunning }: HistoryServiceOptions) {
  // The cell viewer is clicked cell after cell of the same experiment: keep its parsed logits.
  let cachedLogits: { id: string; logits: StoredLogits } | null = null;

  async function readLogits(id: string): Promise<StoredLogits> {
    if (cachedLogits?.id === id) return cachedLogits.logits;
    const file = path.join(store.open(id).dir, 'logits.json');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      throw new Error(`Experiment ${id} has no saved predictions (${file} is missing), so its misclassified images cannot be listed. Run the experiment again to get them.`);
    }
    const logits = JSON.parse(text) as StoredLogits;
    cachedLogits = { id, logits };
    return logits;
  }

  return {
    async list(_request: ParsedRequest<'experiments.list'>): Promise<Responses['experiments.list']> {
      return store.list();
    },

    async get({ id }: ParsedRequest<'experiments.get'>): Promise<Responses['experiments.get']> {
      return readStoredResults(store, id);
    },

    async delete({ id }: ParsedRequest<'experiments.delete'>): Promise<Responses['experiments.delete']> {
      if (isRunning(id)) throw new Error(`Experiment ${id} is still training. Cancel it first, then delete it.`);
      if (cachedLogits?.id === id) cachedLogits = null;
      store.delete(id);
      return { deleted: true };
    },

    async cellImages(request: ParsedRequest<'experiments.cellImages'>): Promise<Responses['experiments.cellImages']> {
      const { id, runId, trueClass, predictedClass, limit } = request;
      const results = readStoredResults(store, id);
      const C = results.classes.length;
      for (const [what, value] of [['true', trueClass], ['predicted', predictedClass]] as const) {
        if (value >= C) throw new Error(`There is no ${what} class ${value}: experiment ${id} has ${C} classes (0 to ${C - 1}).`);
      }
      const logits = await readLogits(id);
      const run = logits.runs[runId];
      if (!run) {
        const known = Object.keys(logits.runs);
        throw new Error(`Experiment ${id} has no finished run "${runId}". Runs with predictions: ${known.length ? known.join(', ') : 'none'}.`);
      }
      const matches: { row: number; confidence: number }[] = [];
      logits.testItems.forEach((item, row) => {
        if (item.classIndex !== trueClass) return;
        const { predicted, confidence } = predictionAt(run.test, row, C);
        if (predicted === predictedClass) matches.push({ row, confidence });
      });
      // Most confident first: for an error cell these are the most telling mistakes.
      matches.sort((a, b) => b.confidence - a.confidence || a.row - b.row);
      const shown = matches.slice(0, limit);
      const images: CellImage[] = shown.map(({ row, confidence }) => {
        const file = (logits.testItems[row] as { file: string }).file;
        const absolutePath = absoluteTestPath(results, file);
        return { file, absolutePath, url: imageUrl(absolutePath), confidence };
      });
      // These files belong to an experiment the user reopened: let the renderer display exactly them.
      await access.chooseFiles(images.map((image) => image.absolutePath));
      return { total: matches.length, images };
    },
  };
}
