import { analyzeExperiment, type AnalysisOptions } from '../analysis/analyze';
import { loadExperiment, type LoadedExperiment } from '../analysis/load';
import type { ExperimentAnalysis } from '../analysis/types';
import { getLoss } from '../losses/registry';
import type { LossDefinition } from '../losses/types';
import { reproduction, type Reproduction } from './reproduce';

export type LossInfo = Pick<LossDefinition, 'id' | 'name' | 'formula' | 'citation' | 'explanation'>;

/** Everything the writers need, loaded and computed once. */
export interface ReportContext {
  experiment: LoadedExperiment;
  analysis: ExperimentAnalysis;
  /** Catalogue entries of the losses trained, by id; a loss the catalogue no longer knows is absent. */
  losses: Map<string, LossInfo>;
  reproduction: Reproduction;
  generatedAt: string;
}

export function buildReportContext(experimentDir: string, options: AnalysisOptions = {}): ReportContext {
  const experiment = loadExperiment(experimentDir);
  return contextOf(experiment, analyzeExperiment(experiment, options));
}

/** The context of an experiment already loaded and analysed (a sweep's settings). */
export function contextOf(experiment: LoadedExperiment, analysis: ExperimentAnalysis): ReportContext {
  const losses = new Map<string, LossInfo>();
  for (const id of new Set(experiment.results.config.losses.map((l) => l.id))) {
    try {
      const { name, formula, citation, explanation } = getLoss(id);
      losses.set(id, { id, name, formula, citation, explanation });
    } catch {
      // renamed or removed since the experiment ran: the report shows the id alone
    }
  }
  return { experiment, analysis, losses, reproduction: reproduction(experiment.results), generatedAt: new Date().toISOString() };
}
