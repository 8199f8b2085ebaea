import type { ExperimentConfig, ImbalanceSpec, LossChoice } from '../experiment/config';
import { planRuns } from '../experiment/run-experiment';
import { getLoss, resolveLossParams } from '../losses/registry';

/**
 * Expands a sweep configuration into its settings. Each imbalance profile is one *setting*: an
 * ordinary experiment whose configuration is the sweep's with that profile and without the
 * sweep block, so a setting trains exactly what a single-setting study with the same profile
 * would (same run ids, same numbers). A hyperparameter sweep is not a setting of its own: it
 * becomes one loss entry per value inside every setting, so every value is paired by seed with
 * every other loss on the same test images.
 */

/** Above this many runs a sweep is refused unless the user confirms (`--yes`). */
export const MAX_SWEEP_RUNS_UNCONFIRMED = 2000;

export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}

export interface SweepSetting {
  index: number;
  /** Folder name under the sweep's settings/ folder, e.g. "1-exp-10". */
  slug: string;
  /** What the setting is, in words: "exp ρ = 10". */
  label: string;
  /** The nominal imbalance ratio ρ (1 for none); null for a counts profile (its achieved ratio is known once the data is split). */
  rho: number | null;
  imbalance: ImbalanceSpec;
  /** The setting's own experiment configuration: no sweep block, the hyperparameter values as loss entries. */
  config: ExperimentConfig;
  runs: number;
}

export interface SweptParam {
  loss: string;
  key: string;
  values: number[];
  /** The key of the loss entry (with its recipe) that each value trains, in value order. */
  recipeKeys: string[];
}

export interface SweepPlan {
  settings: SweepSetting[];
  param: SweptParam | null;
  /** Every recipe × seed × setting. */
  totalRuns: number;
  /** Whether the plan needs confirmation (more than MAX_SWEEP_RUNS_UNCONFIRMED runs). */
  needsConfirmation: boolean;
}

/** Whether a configuration is a sweep (else it is an ordinary experiment). */
export function isSweep(config: ExperimentConfig): boolean {
  return config.sweep !== undefined;
}

export function imbalanceLabel(profile: ImbalanceSpec): string {
  if (profile.kind === 'none') return 'no imbalance';
  if (profile.kind === 'counts') return `counts (${Object.keys(profile.counts).length} classes set)`;
  return `${profile.kind} ρ = ${profile.ratio}`;
}

function imbalanceSlug(profile: ImbalanceSpec): string {
  if (profile.kind === 'none') return 'none';
  if (profile.kind === 'counts') return 'counts';
  return `${profile.kind}-${String(profile.ratio).replace(/[^\w.]/g, '_')}`;
}

/** Replaces every entry of the swept loss by one entry per value. */
function expandParam(losses: LossChoice[], param: NonNullable<ExperimentConfig['sweep']>['param']): LossChoice[] {
  if (!param) return losses;
  const spec = getLoss(param.loss).params.find((p) => p.key === param.key);
  if (!spec) {
    const keys = getLoss(param.loss).params.map((p) => p.key);
    throw new SweepError(`Loss "${param.loss}" has no parameter "${param.key}"${keys.length > 0 ? `; its parameters are ${keys.join(', ')}` : ''} (see \`losslab losses\`).`);
  }
  if (spec.type !== 'number') throw new SweepError(`${param.loss}.${param.key} is not a single number, so it cannot be swept; a sweep takes a numeric parameter such as focal.gamma.`);
  if (new Set(param.values).size !== param.values.length) throw new SweepError(`The sweep of ${param.loss}.${param.key} repeats a value; list each value once.`);
  const swept = losses.filter((l) => l.id === param.loss);
  if (swept.length === 0) throw new SweepError(`The sweep of ${param.loss}.${param.key} needs "${param.loss}" among the losses (${losses.map((l) => l.id).join(', ')}).`);
  if (swept.some((l) => param.key in l.params)) throw new SweepError(`${param.loss}.${param.key} is both set and swept; give it only as the sweep's values.`);
  return losses.flatMap((entry) => {
    if (entry.id !== param.loss) return [entry];
    return param.values.map((value) => {
      // Each value against the catalogue's range for this parameter, with the entry's other parameters.
      resolveLossParams(entry.id, { ...entry.params, [param.key]: value });
      return { ...entry, params: { ...entry.params, [param.key]: value } };
    });
  });
}

/** The configuration one setting trains: the sweep's, with one imbalance profile and the values as entries. */
function settingConfig(config: ExperimentConfig, imbalance: ImbalanceSpec, losses: LossChoice[]): ExperimentConfig {
  const { sweep: _sweep, ...rest } = config;
  return { ...rest, imbalance, losses };
}

/**
 * The settings, their configurations and the run count (an ordinary experiment is one setting). Refuses (before anything is loaded or
 * written) a sweep whose losses or values are invalid, and, unless `confirmed`, one of more than
 * MAX_SWEEP_RUNS_UNCONFIRMED runs.
 */
export function planSweep(config: ExperimentConfig, options: { confirmed?: boolean } = {}): SweepPlan {
  // An ordinary experiment plans as a sweep of one setting (the app shows its run count the same way).
  const sweep = config.sweep ?? {};
  const losses = expandParam(config.losses, sweep.param);
  const profiles = sweep.imbalance ?? [config.imbalance];
  const labels = profiles.map(imbalanceLabel);
  const repeated = labels.find((label, i) => labels.indexOf(label) !== i && profiles[i]!.kind !== 'counts');
  if (repeated) throw new SweepError(`The sweep lists the imbalance setting "${repeated}" twice; list each setting once.`);
  const settings = profiles.map((imbalance, index): SweepSetting => {
    const settingCfg = settingConfig(config, imbalance, losses);
    // planRuns validates every loss and recipe; the run count is the same for every setting.
    const runs = planRuns(settingCfg).length;
    return {
      index,
      slug: `${index + 1}-${imbalanceSlug(imbalance)}`,
      label: labels[index]!,
      rho: imbalance.kind === 'none' ? 1 : imbalance.kind === 'counts' ? null : imbalance.ratio,
      imbalance,
      config: settingCfg,
      runs,
    };
  });
  const totalRuns = settings.reduce((sum, s) => sum + s.runs, 0);
  const needsConfirmation = totalRuns > MAX_SWEEP_RUNS_UNCONFIRMED;
  if (needsConfirmation && !options.confirmed) {
    throw new SweepError(
      `This sweep would train ${totalRuns} runs (${settings.length} settings × ${losses.length} loss entries × ${config.seeds.length} seeds), more than ${MAX_SWEEP_RUNS_UNCONFIRMED}. ` +
        'Use fewer settings, values or seeds, or add --yes to train them all.',
    );
  }
  let param: SweptParam | null = null;
  const swept = sweep.param;
  if (swept) {
    const jobs = planRuns(settings[0]!.config);
    const keys = swept.values.map((value) => {
      const job = jobs.find((j) => j.lossId === swept.loss && j.params[swept.key] === value);
      return job!.runId.replace(/#seed\d+$/, '');
    });
    param = { ...swept, recipeKeys: keys };
  }
  return { settings, param, totalRuns, needsConfirmation };
}
