import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig } from '../experiment/config';
import type { ExperimentResults } from '../results/types';

/**
 * Seconds per training image-epoch measured by earlier experiments on this machine (the store
 * is local), for a duration estimate before a sweep's first epoch. Only experiments that trained
 * the same network at the same image and batch size count; without any, there is no estimate
 * until the sweep's first epoch gives one.
 */

export interface PastThroughput {
  secondsPerImageEpoch: number;
  /** Finished runs the figure is measured from. */
  runs: number;
}

/** Results files under the store: experiments, and the settings of sweeps, newest folders first. */
function resultsFiles(storeRoot: string, limit: number): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(storeRoot);
  } catch {
    return [];
  }
  const files: { file: string; mtime: number }[] = [];
  for (const name of names) {
    const dir = path.join(storeRoot, name);
    const candidates = [path.join(dir, 'results.json')];
    try {
      if (fs.existsSync(path.join(dir, 'sweep.json'))) for (const s of fs.readdirSync(path.join(dir, 'settings'))) candidates.push(path.join(dir, 'settings', s, 'results.json'));
    } catch {
      // a sweep without settings yet
    }
    for (const file of candidates) {
      try {
        files.push({ file, mtime: fs.statSync(file).mtimeMs });
      } catch {
        // not finished
      }
    }
  }
  return files.sort((a, b) => b.mtime - a.mtime).slice(0, limit).map((f) => f.file);
}

export function pastThroughput(storeRoot: string, config: ExperimentConfig, limit = 30): PastThroughput | null {
  const model = JSON.stringify(config.model);
  let seconds = 0;
  let work = 0;
  let runs = 0;
  for (const file of resultsFiles(storeRoot, limit)) {
    let results: ExperimentResults;
    try {
      results = JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentResults;
    } catch {
      continue;
    }
    const c = results.config;
    if (JSON.stringify(c.model) !== model || c.imageSize !== config.imageSize || c.training.batchSize !== config.training.batchSize) continue;
    const images = results.dataset.counts.train.reduce((s, n) => s + n, 0);
    for (const run of results.runs) {
      if (run.status !== 'done' || typeof run.trainSeconds !== 'number' || images === 0) continue;
      seconds += run.trainSeconds;
      work += images * c.training.epochs;
      runs++;
    }
  }
  return runs > 0 ? { secondsPerImageEpoch: seconds / work, runs } : null;
}
