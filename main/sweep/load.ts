import fs from 'node:fs';
import path from 'node:path';
import { analyzeExperiment, type AnalysisOptions } from '../analysis/analyze';
import { loadExperiment, type LoadedExperiment } from '../analysis/load';
import type { ExperimentAnalysis } from '../analysis/types';
import type { ExperimentResults } from '../results/types';
import { analyzeSweep, type SweepAnalysis } from './analyze';
import { SweepFolder, type SweepRecord } from './folder';
import { planSweep, type SweepPlan } from './plan';

/** A sweep folder read back and analysed: each finished setting's own analysis, and the analysis across them. */
export interface LoadedSweep {
  dir: string;
  record: SweepRecord;
  plan: SweepPlan;
  settings: { index: number; slug: string; label: string; rho: number; dir: string; results: ExperimentResults; experiment: LoadedExperiment; analysis: ExperimentAnalysis }[];
  /** Settings without results yet (interrupted, or not started): the report names them. */
  unfinished: { index: number; label: string }[];
  sweep: SweepAnalysis;
}

export function loadSweep(dir: string, options: AnalysisOptions = {}): LoadedSweep {
  const folder = new SweepFolder(dir);
  const record = folder.read();
  const plan = planSweep(record.config, { confirmed: true });
  const settings: LoadedSweep['settings'] = [];
  const unfinished: LoadedSweep['unfinished'] = [];
  for (const setting of record.settings) {
    const settingDir = path.join(dir, 'settings', setting.slug);
    if (!fs.existsSync(path.join(settingDir, 'results.json'))) {
      unfinished.push({ index: setting.index, label: setting.label });
      continue;
    }
    const experiment = loadExperiment(settingDir);
    const analysis = analyzeExperiment(experiment, options);
    // A counts profile has no nominal ρ: its point sits at the ratio the split achieved.
    const rho = setting.rho ?? experiment.results.dataset.imbalanceRatio;
    settings.push({ index: setting.index, slug: setting.slug, label: setting.label, rho, dir: settingDir, results: experiment.results, experiment, analysis });
  }
  if (settings.length === 0) {
    throw new Error(`No setting of the sweep in ${dir} has finished yet; resume it with \`losslab resume ${dir}\`.`);
  }
  const sweep = analyzeSweep(
    settings.map((s) => ({ index: s.index, label: s.label, rho: s.rho, analysis: s.analysis })),
    plan.param,
  );
  return { dir, record, plan, settings, unfinished, sweep };
}
