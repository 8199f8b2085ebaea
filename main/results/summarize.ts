import { summarize, summarizeSample } from '../stats/summary';
import { HEADLINE_METRICS, type HeadlineMetric, type LossSummary, type MetricSummary, type RunResult } from './types';

/** Per loss (and parameter set): mean, standard deviation and 95% interval of each headline metric over the finished seeds. */
export function summarizeRuns(runs: RunResult[]): LossSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    if (run.status !== 'done' || !run.metrics) continue;
    const group = groups.get(run.lossKey) ?? [];
    group.push(run);
    groups.set(run.lossKey, group);
  }
  return [...groups.entries()].map(([lossKey, group]) => {
    const metrics = {} as Record<HeadlineMetric, MetricSummary>;
    for (const name of HEADLINE_METRICS) {
      const values = group.map((run) => run.metrics![name]);
      const s = summarizeSample(values);
      metrics[name] = { mean: s.mean, std: s.std, ci95: s.ci95, n: values.length };
    }
    const shot = (group_: 'many' | 'medium' | 'few') => summarize(group.map((run) => run.metrics!.shotGroups[group_]));
    return {
      lossKey,
      loss: group[0]!.loss,
      params: group[0]!.params,
      seeds: group.map((r) => r.seed),
      metrics,
      shotGroups: { many: shot('many'), medium: shot('medium'), few: shot('few') },
    };
  });
}
