import fs from 'node:fs';
import path from 'node:path';
import { ExperimentFolder, type ExperimentStatus } from './experiment-folder';

export interface ExperimentListing {
  id: string;
  name?: string;
  createdAt: string;
  status: ExperimentStatus;
  dataset: string;
  losses: string[];
  seeds: number[];
  runsTotal: number;
  runsFinished: number;
  /** Mean balanced accuracy per loss, once results exist. */
  balancedAccuracy?: Record<string, number>;
}

const ID_PATTERN = /^[\w.-]{1,128}$/;

/** The folder of experiment folders under the user-data directory; ids are folder names. */
export class ExperimentStore {
  constructor(readonly root: string) {}

  open(id: string): ExperimentFolder {
    if (!ID_PATTERN.test(id) || id === '.' || id === '..') throw new Error(`"${id}" is not an experiment id (letters, digits, '.', '_' and '-' only)`);
    return new ExperimentFolder(path.join(this.root, id));
  }

  /** Experiments newest first; folders that are not experiments are ignored, damaged ones listed as interrupted. */
  list(): ExperimentListing[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    const listings: ExperimentListing[] = [];
    for (const name of names) {
      if (!ID_PATTERN.test(name)) continue;
      const folder = new ExperimentFolder(path.join(this.root, name));
      if (!folder.exists()) continue;
      try {
        const record = folder.readRecord();
        const status = folder.status();
        const listing: ExperimentListing = {
          id: record.id,
          ...(record.name ? { name: record.name } : {}),
          createdAt: record.createdAt,
          status,
          dataset: record.config.data,
          losses: record.config.losses.map((l) => l.id),
          seeds: record.config.seeds,
          runsTotal: record.runs.length,
          runsFinished: folder.finishedRunCount(),
        };
        if (status === 'done') {
          const results = folder.readResults();
          listing.balancedAccuracy = Object.fromEntries(results.summary.map((s) => [s.lossKey, s.metrics.balancedAccuracy.mean]));
        }
        listings.push(listing);
      } catch {
        // A damaged record is skipped rather than breaking the whole list.
      }
    }
    return listings.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  delete(id: string): void {
    const folder = this.open(id);
    if (!folder.exists()) throw new Error(`No experiment "${id}" in ${this.root}`);
    if (folder.status() === 'running') throw new Error(`Experiment ${id} is still running; cancel it before deleting it.`);
    fs.rmSync(folder.dir, { recursive: true, force: true });
  }
}
