import path from 'node:path';
import { trainingSchema, type ExperimentConfig } from '../experiment/config';
import { modelFlags } from '../experiment/model-label';
import type { ExperimentResults } from '../results/types';

/** How to re-run an experiment: the configuration file (always exact) and, where it can be, the same as flags. */
export interface Reproduction {
  /** The stored configuration with dataset paths made absolute, pretty-printed. */
  configJson: string;
  configFileName: string;
  configCommand: string;
  /** The same experiment as command-line flags only; null when flags cannot express it. */
  flagsCommand: string | null;
  /** Why there is no flags command, when there is none. */
  flagsNote: string | null;
}

/** POSIX shell quoting: bare when safe, single-quoted otherwise. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The configuration as results.json recorded it (the schema's output, so every default is
 * spelled out); relative dataset paths, which depended on the original working folder, are
 * replaced by the absolute root the experiment actually read.
 */
export function reproductionConfig(results: ExperimentResults): ExperimentConfig {
  const config: ExperimentConfig = structuredClone(results.config);
  if (!path.isAbsolute(config.data)) {
    // The working folder of the original run is the root minus the relative path given.
    const given = path.normalize(config.data).replace(/[\\/]+$/, '');
    const root = results.dataset.root;
    const base = root.endsWith(given) ? root.slice(0, root.length - given.length) : null;
    config.data = root;
    if (config.testData && !path.isAbsolute(config.testData) && base !== null) config.testData = path.resolve(base, config.testData);
  }
  return config;
}

export function reproduction(results: ExperimentResults): Reproduction {
  const config = reproductionConfig(results);
  const configFileName = 'losslab-config.json';
  const { command, note } = flagsFor(config);
  return {
    configJson: JSON.stringify(config, null, 2),
    configFileName,
    configCommand: `losslab run --config ${configFileName}`,
    flagsCommand: command,
    flagsNote: note,
  };
}

function paramValue(value: number | string | number[] | null): string {
  if (value === null) return 'none';
  return Array.isArray(value) ? value.join(',') : String(value);
}

function flagsFor(config: ExperimentConfig): { command: string | null; note: string | null } {
  const defaults = trainingSchema.parse({});
  if (config.imbalance.kind === 'counts') return { command: null, note: 'the imbalance is a list of counts per class, which the command line reads from a separate file' };
  if (new Set(config.losses.map((l) => l.id)).size !== config.losses.length) return { command: null, note: 'a loss appears with several parameter sets, which --param cannot tell apart' };
  if (config.training.momentum !== defaults.momentum) return { command: null, note: `momentum ${config.training.momentum} has no command-line flag` };
  if (config.training.probeEpochs !== defaults.probeEpochs) return { command: null, note: `probeEpochs ${config.training.probeEpochs} has no command-line flag` };
  const t = config.training;
  const args: string[] = ['losslab', 'run', '--data', config.data];
  if (config.testData) args.push('--test-data', config.testData);
  args.push('--losses', config.losses.map((l) => l.id).join(','));
  for (const loss of config.losses) {
    for (const [key, value] of Object.entries(loss.params)) args.push('--param', `${loss.id}.${key}=${paramValue(value)}`);
  }
  const imbalance = config.imbalance.kind === 'none' ? 'none' : `${config.imbalance.kind}:${config.imbalance.ratio}`;
  const augment = [t.augment.flip ? 'flip' : null, t.augment.crop ? 'crop' : null].filter(Boolean).join(',') || 'none';
  args.push(
    '--imbalance', imbalance,
    '--seeds', config.seeds.join(','),
    '--image-size', String(config.imageSize),
    '--resize', config.resize,
    '--color-mode', config.colorMode,
    '--test-fraction', String(config.testFraction),
    '--val-fraction', String(config.valFraction),
    '--split-seed', String(config.splitSeed),
    ...modelFlags(config.model),
    '--epochs', String(t.epochs),
    '--batch-size', String(t.batchSize),
    '--optimizer', t.optimizer,
    '--lr', String(t.learningRate),
    '--weight-decay', String(t.weightDecay),
    '--schedule', t.schedule,
    '--augment', augment,
    '--backend', config.backend,
    '--workers', String(config.workers),
  );
  return { command: args.map(shellQuote).join(' '), note: null };
}
