import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig } from '../experiment/config';
import { experimentId } from '../experiment/run-experiment';
import { defaultStoreRoot } from '../store/paths';
import { formatDuration, type DurationEstimate } from '../sweep/estimate';
import { SweepFolder } from '../sweep/folder';
import { loadSweep } from '../sweep/load';
import { pastThroughput } from '../sweep/past-throughput';
import { planSweep, type SweepPlan } from '../sweep/plan';
import type { SettingSplit } from '../sweep/preflight';
import { resumeSweep, startSweep, type RunningSweep, type SweepEvents } from '../sweep/run-sweep';
import { cacheOption, runnerOptions, stderrLine, type ExecuteOptions } from './execute';
import { UsageError } from './options';
import { terminalProgress } from './progress';
import { formatSummaryTable } from './summary-table';

/** The plan in words: how many runs, made of what. */
export function describePlan(plan: SweepPlan, config: ExperimentConfig): string {
  const entries = plan.settings[0]!.config.losses.length;
  const what = [
    plan.settings.length > 1 ? `${plan.settings.length} imbalance settings` : plan.settings[0]!.label,
    `${entries} loss entr${entries === 1 ? 'y' : 'ies'}${plan.param ? ` (${plan.param.loss}.${plan.param.key} = ${plan.param.values.join(', ')})` : ''}`,
    `${config.seeds.length} seed${config.seeds.length === 1 ? '' : 's'}`,
  ];
  return `Sweep: ${what.join(' × ')} = ${plan.totalRuns} runs`;
}

function estimateLine(estimate: DurationEstimate, pastRuns: number): string | null {
  if (estimate.remainingSeconds === null) return null;
  const from = {
    none: '',
    past: `from ${pastRuns} earlier run${pastRuns === 1 ? '' : 's'} of this network on this machine; measured again from the first epoch`,
    epochs: 'from the first epochs on this machine',
    runs: 'from the runs finished so far',
  }[estimate.basis];
  return `about ${formatDuration(estimate.remainingSeconds)} left, ${estimate.runsLeft} run${estimate.runsLeft === 1 ? '' : 's'} to go (${from})`;
}

/** The plan's lines, then one estimate line before training, one when the first epoch measures it, one per finished run. */
export function sweepEvents(progress: Pick<ReturnType<typeof terminalProgress>, 'events' | 'log'>, pastRuns = 0): SweepEvents {
  let lastBasis: DurationEstimate['basis'] | null = null;
  let lastRunsLeft = -1;
  return {
    experiment: progress.events,
    onPlan: (plan: SweepPlan, splits: SettingSplit[]) => {
      for (const s of plan.settings) {
        const split = splits[s.index]!;
        progress.log(`  setting ${s.index + 1}: ${s.label}, ${split.trainImages} training images (largest/smallest class ${split.achievedRatio.toFixed(1)}), ${s.runs} runs`);
      }
    },
    onSettingStart: (setting, resumed) => progress.log(`${resumed ? 'resuming' : 'starting'} setting ${setting.index + 1}: ${setting.label}`),
    onEstimate: (estimate) => {
      const first = lastBasis === null;
      const changed = estimate.basis !== lastBasis;
      const runFinished = estimate.basis === 'runs' && estimate.runsLeft !== lastRunsLeft;
      lastBasis = estimate.basis;
      lastRunsLeft = estimate.runsLeft;
      if (first && estimate.basis === 'none') {
        progress.log('Estimated duration: measured from the first epoch on this machine, then refined as runs finish.');
        return;
      }
      if (!(first || changed || runFinished) || estimate.runsLeft === 0) return;
      const line = estimateLine(estimate, pastRuns);
      if (line) progress.log(first ? `Estimated duration: ${line}` : `estimate: ${line}`);
    },
  };
}

/** Runs a new sweep with terminal progress: the plan and run count first, then the estimate as it is measured. */
export async function executeSweep(config: ExperimentConfig, options: ExecuteOptions & { confirmed: boolean }): Promise<string> {
  // Refused here, before any folder or file is made: bad losses or values, the run guard.
  const plan = planSweep(config, { confirmed: options.confirmed });
  const id = options.label ? `${options.label}-${experimentId()}` : experimentId();
  const dir = path.resolve(options.out ?? path.join(defaultStoreRoot(), id));
  if (fs.existsSync(path.join(dir, 'experiment.json')) || SweepFolder.isSweep(dir)) {
    throw new UsageError(`${dir} already holds an experiment or a sweep; choose another --out folder, or continue it with \`losslab resume ${dir}\`.`);
  }
  if (options.redis && config.model.family === 'backbone') throw new UsageError('Studies on a pretrained backbone train locally only; leave out --redis');
  process.stderr.write(`${describePlan(plan, config)}\n`);
  const past = pastThroughput(defaultStoreRoot(), config);
  const progress = terminalProgress();
  const { runner, stop } = await runnerOptions(options, config.backend, stderrLine);
  try {
    return await follow(
      () => startSweep(new SweepFolder(dir), config, {
          id,
          confirmed: options.confirmed,
          ...cacheOption(options.cache),
          events: sweepEvents(progress, past?.runs ?? 0),
          pastSecondsPerImageEpoch: past?.secondsPerImageEpoch ?? null,
          ...(runner ? { runner } : {}),
        }),
      progress,
    );
  } finally {
    await stop();
  }
}

export async function resumeSweepCli(dir: string, cache: boolean, queue: Pick<ExecuteOptions, 'redis' | 'localWorkers' | 'dataTransport'> = {}): Promise<string> {
  const folder = new SweepFolder(dir);
  const record = folder.read();
  process.stderr.write(`${describePlan(planSweep(record.config, { confirmed: true }), record.config)}\n`);
  const past = pastThroughput(defaultStoreRoot(), record.config);
  const progress = terminalProgress();
  const { runner, stop } = await runnerOptions({ ...queue, cache }, record.config.backend, stderrLine);
  try {
    return await follow(() => resumeSweep(folder, { ...cacheOption(cache), events: sweepEvents(progress, past?.runs ?? 0), pastSecondsPerImageEpoch: past?.secondsPerImageEpoch ?? null, ...(runner ? { runner } : {}) }), progress);
  } finally {
    await stop();
  }
}

/** Follows a sweep to its end; Ctrl-C cancels (finished runs stay, `losslab resume` continues), twice quits. */
async function follow(start: () => RunningSweep, progress: ReturnType<typeof terminalProgress>): Promise<string> {
  const sweep = start();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nCancelling the remaining runs of the sweep; finished runs are kept. Press Ctrl-C again to quit now.\n');
    sweep.cancel();
  };
  process.on('SIGINT', onInterrupt);
  try {
    const outcome = await sweep.done;
    progress.stop();
    const loaded = loadSweep(outcome.dir);
    for (const setting of loaded.settings) process.stdout.write(`\n${setting.label}\n${formatSummaryTable(setting.results)}\n`);
    if (loaded.sweep.summary.length > 0) process.stdout.write(`\nAcross the settings (balanced accuracy against ${loaded.sweep.contrasts[0]?.baselineLabel ?? loaded.sweep.baseline}, paired 95% intervals):\n${loaded.sweep.summary.map((s) => `  ${s}`).join('\n')}\n`);
    const unfinished = loaded.unfinished.length + loaded.settings.filter((s) => s.results.runs.some((r) => r.status !== 'done')).length;
    if (outcome.cancelled || unfinished > 0) process.stdout.write(`The sweep is not finished; \`losslab resume ${outcome.dir}\` trains the rest.\n`);
    process.stdout.write(`Sweep ${outcome.id}\nWritten to ${outcome.dir} (\`losslab report ${outcome.dir}\` writes the report)\n`);
    return outcome.dir;
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
  }
}
