import fs from 'node:fs';
import path from 'node:path';
import { parseExperimentConfig, type ExperimentConfig } from '../experiment/config';
import { ExperimentFolder } from '../store/experiment-folder';
import type { SweepListing } from './plan-view-types';
import { writeFileAtomic } from '../util/atomic-write';
import type { SweepPlan } from './plan';

/**
 * A sweep on disk:
 *   sweep.json               the sweep's configuration and its settings
 *   settings/<slug>/         one ordinary experiment folder per setting (experiment.json, runs/, results.json, …)
 *   sweep-report.*           reports across the settings (losslab report on the sweep folder)
 * Each setting is an experiment like any other, so `losslab report` and `show` work on it alone.
 */

export const SWEEP_FORMAT_VERSION = 1;

export interface SweepRecord {
  formatVersion: number;
  kind: 'sweep';
  id: string;
  name?: string;
  createdAt: string;
  config: ExperimentConfig;
  settings: { index: number; slug: string; label: string; rho: number | null; runs: number }[];
  totalRuns: number;
}

export class SweepFolder {
  constructor(readonly dir: string) {}

  get recordFile(): string {
    return path.join(this.dir, 'sweep.json');
  }

  static isSweep(dir: string): boolean {
    return fs.existsSync(path.join(dir, 'sweep.json'));
  }

  exists(): boolean {
    return fs.existsSync(this.recordFile);
  }

  setting(slug: string): ExperimentFolder {
    return new ExperimentFolder(path.join(this.dir, 'settings', slug));
  }

  write(input: { id: string; createdAt: string; config: ExperimentConfig; plan: SweepPlan }): SweepRecord {
    const record: SweepRecord = {
      formatVersion: SWEEP_FORMAT_VERSION,
      kind: 'sweep',
      id: input.id,
      ...(input.config.name ? { name: input.config.name } : {}),
      createdAt: input.createdAt,
      config: input.config,
      settings: input.plan.settings.map(({ index, slug, label, rho, runs }) => ({ index, slug, label, rho, runs })),
      totalRuns: input.plan.totalRuns,
    };
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.recordFile, JSON.stringify(record, null, 2) + '\n');
    return record;
  }

  read(): SweepRecord {
    let record: SweepRecord;
    try {
      record = JSON.parse(fs.readFileSync(this.recordFile, 'utf8')) as SweepRecord;
    } catch (error) {
      throw new Error(`The sweep record ${this.recordFile} cannot be read: ${(error as Error).message}`);
    }
    return { ...record, config: parseExperimentConfig(record.config) };
  }
}

/** Sweeps stored under a folder (the store's root), newest first, with how many of their runs have finished. */
export function listSweeps(root: string): SweepListing[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const sweeps = [];
  for (const name of names) {
    const folder = new SweepFolder(path.join(root, name));
    if (!folder.exists()) continue;
    try {
      const record = folder.read();
      const runsFinished = record.settings.reduce((sum, s) => {
        const setting = folder.setting(s.slug);
        return sum + (setting.exists() ? setting.finishedRunCount() : 0);
      }, 0);
      sweeps.push({ id: record.id, dir: folder.dir, createdAt: record.createdAt, settings: record.settings.length, runsTotal: record.totalRuns, runsFinished });
    } catch {
      // a damaged record: not listed
    }
  }
  return sweeps.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
