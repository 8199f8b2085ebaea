import { loadDataset } from '../dataset/load';
import { releasePixels } from '../dataset/pixel-file';
import type { ExperimentConfig } from '../experiment/config';
import { DurationEstimator } from './estimate';
import { pastThroughput } from './past-throughput';
import { MAX_SWEEP_RUNS_UNCONFIRMED, planSweep } from './plan';
import { checkSweepSplits } from './preflight';
import { workOf } from './run-sweep';
import type { SweepPlanView } from './plan-view-types';

export type { SweepPlanView } from './plan-view-types';

/** The plan view of a configuration (see SweepPlanView): loads the dataset (from the cache when it can) to count each setting's training images. */
export async function sweepPlanView(config: ExperimentConfig, options: { storeRoot: string; cacheDir?: string }): Promise<SweepPlanView> {
  const plan = planSweep(config, { confirmed: true });
  const first = plan.settings[0]!.config;
  const dataset = await loadDataset({
    root: first.data,
    ...(first.testData ? { testRoot: first.testData } : {}),
    imageSize: first.imageSize,
    resize: first.resize,
    colorMode: first.model.family === 'backbone' && first.colorMode === 'auto' ? 'rgb' : first.colorMode,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  });
  releasePixels(dataset.pixels); // only the items are counted
  const splits = checkSweepSplits(dataset, plan);
  const past = pastThroughput(options.storeRoot, config);
  const estimate = new DurationEstimator(workOf(plan, splits), past?.secondsPerImageEpoch ?? null).estimate();
  return {
    settings: plan.settings.map((s) => ({ index: s.index, label: s.label, rho: s.rho, runs: s.runs, trainImages: splits[s.index]!.trainImages })),
    param: plan.param ? { loss: plan.param.loss, key: plan.param.key, values: plan.param.values } : null,
    totalRuns: plan.totalRuns,
    limit: MAX_SWEEP_RUNS_UNCONFIRMED,
    needsConfirmation: plan.needsConfirmation,
    estimate: { seconds: estimate.remainingSeconds, basis: estimate.basis === 'past' ? 'past' : 'none', pastRuns: past?.runs ?? 0 },
  };
}
