import fs from 'node:fs';
import { Command, Option } from 'commander';
import { BACKBONE_SCALINGS, experimentConfigSchema, parseExperimentConfig, type ExperimentConfig, type ExperimentConfigInput } from '../../experiment/config';
import { backboneInputSize } from '../../engine/backbone/source';
import { executeExperiment, queueOptionsFromFlags } from '../execute';
import {
  parseFinetune,
  parseHead,
  parseImbalanceSettings,
  parseInteger,
  parseList,
  parseLossParams,
  parseModel,
  parseNumber,
  parseRecipeEntry,
  parseSecondStage,
  parseSeeds,
  UsageError,
} from '../options';
import { SAMPLER_IDS } from '../../methods/samplers';
import { downloadProgressBar } from '../progress';
import { getLoss } from '../../losses/registry';
import { executeSweep } from '../sweep';

interface RunFlags {
  config?: string;
  data?: string;
  testData?: string;
  losses?: string;
  param: string[];
  imbalance?: string;
  epochs?: number;
  seeds?: string;
  imageSize?: number;
  out?: string;
  backend?: string;
  batchSize?: number;
  lr?: number;
  optimizer?: string;
  schedule?: string;
  weightDecay?: number;
  augment?: string;
  model?: string;
  backbone?: string;
  featureLayer?: string;
  finetune?: string;
  backboneLr?: number;
  backboneSha256?: string;
  backboneScaling?: string;
  head?: string;
  width?: number;
  depth?: number;
  workers?: number;
  valFraction?: number;
  testFraction?: number;
  splitSeed?: number;
  resize?: string;
  colorMode?: string;
  sampler?: string;
  drw?: number;
  drwBeta?: number;
  drs?: number;
  secondStage?: string;
  cache: boolean;
  redis?: string;
  publishData?: boolean;
  dataShare?: string;
  yes?: boolean;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the configuration file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`The configuration file ${file} is not a JSON object (${(error as Error).message})`);
  }
}

/** Flags on top of an optional configuration file: the file is the base, each flag given overrides it. */
export function configFromFlags(flags: RunFlags): ExperimentConfigInput {
  const base = flags.config ? readConfigFile(flags.config) : {};
  const config: Record<string, unknown> = { ...base };
  const training: Record<string, unknown> = { ...((base.training as Record<string, unknown>) ?? {}) };
  const model: Record<string, unknown> = { ...((base.model as Record<string, unknown>) ?? {}) };
  if (flags.data) config.data = flags.data;
  if (flags.testData) config.testData = flags.testData;
  const sweep: Record<string, unknown> = { ...((base.sweep as Record<string, unknown>) ?? {}) };
  if (flags.losses) {
    const params = parseLossParams(flags.param);
    const swept = takeSweptParam(params);
    if (swept) sweep.param = swept;
    const entries = parseList(flags.losses).map(parseRecipeEntry);
    const ids = entries.map((e) => e.id);
    for (const loss of params.keys()) {
      if (!ids.includes(loss)) throw new UsageError(`--param names loss "${loss}", which is not in --losses (${ids.join(',')})`);
    }
    config.losses = entries.map(({ id, recipe }) => ({ id, params: params.get(id) ?? {}, ...(Object.keys(recipe).length > 0 ? { recipe } : {}) }));
  } else if (flags.param.length > 0) {
    throw new UsageError('--param needs --losses on the command line');
  }
  applyRecipeFlags(config, flags);
  if (flags.imbalance) {
    const settings = parseImbalanceSettings(flags.imbalance);
    if (settings.length > 1) sweep.imbalance = settings;
    else {
      config.imbalance = settings[0];
      delete sweep.imbalance;
    }
  }
  if (Object.keys(sweep).length > 0) config.sweep = sweep;
  else delete config.sweep;
  if (flags.seeds) config.seeds = parseSeeds(flags.seeds);
  if (flags.imageSize !== undefined) config.imageSize = flags.imageSize;
  if (flags.backend) config.backend = flags.backend;
  if (flags.workers !== undefined) config.workers = flags.workers;
  if (flags.valFraction !== undefined) config.valFraction = flags.valFraction;
  if (flags.testFraction !== undefined) config.testFraction = flags.testFraction;
  if (flags.splitSeed !== undefined) config.splitSeed = flags.splitSeed;
  if (flags.resize) config.resize = flags.resize;
  if (flags.colorMode) config.colorMode = flags.colorMode;
  if (flags.epochs !== undefined) training.epochs = flags.epochs;
  if (flags.batchSize !== undefined) training.batchSize = flags.batchSize;
  if (flags.lr !== undefined) training.learningRate = flags.lr;
  if (flags.optimizer) training.optimizer = flags.optimizer;
  if (flags.schedule) training.schedule = flags.schedule;
  if (flags.weightDecay !== undefined) training.weightDecay = flags.weightDecay;
  if (flags.augment !== undefined) {
    const kinds = flags.augment === 'none' ? [] : parseList(flags.augment);
    const unknown = kinds.filter((k) => k !== 'flip' && k !== 'crop');
    if (unknown.length > 0) throw new UsageError(`--augment accepts flip, crop or none, not "${unknown.join(',')}"`);
    training.augment = { flip: kinds.includes('flip'), crop: kinds.includes('crop') };
  }
  applyModelFlags(model, flags);
  config.training = training;
  config.model = model;
  if (!config.data) throw new UsageError('--data DIR is required (a folder with one subfolder per class)');
  if (!config.losses) throw new UsageError('--losses is required, e.g. --losses ce,focal,balanced-softmax (see `losslab losses`)');
  return config as unknown as ExperimentConfigInput;
}

/**
 * `--param focal.gamma=0.5,1,2,5`: a list given to a parameter that takes one number is a sweep
 * of that parameter (one loss entry per value); a list for a per-class parameter stays a vector.
 * Removes the swept parameter from `params` and returns it.
 */
function takeSweptParam(params: Map<string, Record<string, number | string | number[]>>): { loss: string; key: string; values: number[] } | null {
  const swept: { loss: string; key: string; values: number[] }[] = [];
  for (const [loss, values] of params) {
    let specs: { key: string; type: string }[];
    try {
      specs = getLoss(loss).params;
    } catch {
      continue; // an unknown loss is refused with the catalogue's own message
    }
    for (const [key, value] of Object.entries(values)) {
      if (Array.isArray(value) && specs.find((p) => p.key === key)?.type === 'number') {
        swept.push({ loss, key, values: value });
        delete values[key];
      }
    }
  }
  if (swept.length > 1) throw new UsageError(`--param sweeps one hyperparameter at a time; got ${swept.map((s) => `${s.loss}.${s.key}`).join(' and ')}`);
  return swept[0] ?? null;
}

/**
 * --sampler, --drw, --drs and --second-stage set the recipe of every loss entry; a part an
 * entry names itself (`ce+sampler:sqrt`) wins over the flag.
 */
function applyRecipeFlags(config: Record<string, unknown>, flags: RunFlags): void {
  const fromFlags: Record<string, unknown> = {};
  if (flags.sampler !== undefined) fromFlags.sampler = flags.sampler;
  if (flags.drw !== undefined) fromFlags.drw = { epoch: flags.drw, ...(flags.drwBeta !== undefined ? { beta: flags.drwBeta } : {}) };
  else if (flags.drwBeta !== undefined) throw new UsageError('--drw-beta needs --drw EPOCH');
  if (flags.drs !== undefined) fromFlags.drs = flags.drs;
  if (flags.secondStage !== undefined) fromFlags.secondStage = parseSecondStage(flags.secondStage);
  if (Object.keys(fromFlags).length === 0 || !Array.isArray(config.losses)) return;
  config.losses = (config.losses as Record<string, unknown>[]).map((entry) => ({
    ...entry,
    recipe: { ...fromFlags, ...((entry.recipe as Record<string, unknown>) ?? {}) },
  }));
}

/**
 * --model picks the family (a different family from the configuration file's starts from that
 * family's defaults); --width and --depth then refine it. --depth is the CNN's number of blocks;
 * a ResNet's depth is part of its name.
 */
function applyModelFlags(model: Record<string, unknown>, flags: RunFlags): void {
  const backboneFlags = (['featureLayer', 'finetune', 'backboneLr', 'backboneSha256', 'backboneScaling', 'head'] as const).filter((k) => flags[k] !== undefined);
  // --backbone alone implies --model backbone.
  const family = flags.model ?? (flags.backbone !== undefined ? 'backbone' : undefined);
  if (family === 'backbone') {
    if ((model.family ?? 'cnn') !== 'backbone') for (const key of Object.keys(model)) delete model[key];
    model.family = 'backbone';
  } else if (family) {
    const chosen = parseModel(family);
    if ((model.family ?? 'cnn') !== chosen.family) for (const key of Object.keys(model)) delete model[key];
    Object.assign(model, chosen);
  }
  if (model.family === 'backbone') {
    if (flags.backbone !== undefined) model.source = flags.backbone;
    if (!model.source) throw new UsageError('--model backbone needs --backbone SOURCE (a folder, a model.json, an http(s) URL or a preset such as mobilenet-v2)');
    if (flags.featureLayer !== undefined) model.featureLayer = flags.featureLayer;
    if (flags.finetune !== undefined) model.finetune = parseFinetune(flags.finetune);
    if (flags.backboneLr !== undefined) model.backboneLearningRate = flags.backboneLr;
    if (flags.backboneSha256 !== undefined) model.sha256 = flags.backboneSha256;
    if (flags.backboneScaling !== undefined) model.scaling = flags.backboneScaling;
    if (flags.head !== undefined) model.head = parseHead(flags.head);
    if (flags.width !== undefined || flags.depth !== undefined) throw new UsageError('--width and --depth shape LossLab\'s own networks; a pretrained backbone comes as it is (--head mlp:UNITS sizes the head)');
    return;
  }
  if (backboneFlags.length > 0) throw new UsageError(`--${backboneFlags[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to a pretrained backbone; add --backbone SOURCE`);
  if (flags.width !== undefined) model.width = flags.width;
  if (flags.depth !== undefined) {
    if ((model.family ?? 'cnn') !== 'cnn') throw new UsageError('--depth sets the CNN\'s number of blocks; a ResNet\'s depth is in its name (--model resnet-32)');
    model.depth = flags.depth;
  }
}

/** "text (default: value)": help shows what a flag left out means, from the configuration's own defaults. */
export function withDefault(text: string, value: unknown): string {
  return `${text} (default: ${Array.isArray(value) ? value.join(',') : String(value)})`;
}

/** The configuration a run gets from flags left out: the schema's defaults, so help never drifts from them. */
export function runDefaults(): ExperimentConfig {
  return experimentConfigSchema.parse({ data: '-', losses: [{ id: 'ce' }] });
}

/** Options shared by `run` and `demo`; help states the defaults of the command they belong to. */
export function addTrainingOptions(command: Command, defaults: ExperimentConfig): Command {
  return command
    .option('--epochs <n>', withDefault('training epochs per run', defaults.training.epochs), parseInteger('--epochs', 1, 1000))
    .option('--seeds <list>', withDefault('comma-separated seeds, a list and not a count (1,2,3 or 1-3 is three runs per loss; 3 is one run, seed 3)', defaults.seeds))
    .option('--out <dir>', 'output folder (default: ./losslab-results/<experiment id>)')
    .addOption(new Option('--backend <name>', withDefault('TensorFlow.js backend', defaults.backend)).choices(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']))
    .option('--workers <n>', withDefault('parallel training workers (0: one per core)', defaults.workers), parseInteger('--workers', 0, 64))
    .option('--no-cache', 'do not read or write the decoded-image cache (default: decoded images are cached)');
}

export function registerRunCommand(program: Command): void {
  const d = runDefaults();
  const command = program
    .command('run')
    .description('train one CNN per loss (and seed) on an image folder and compare them')
    .option('--config <file>', 'JSON experiment configuration; flags given override it')
    .option('--data <dir>', 'dataset folder: one subfolder per class, or train/ and test/ folders')
    .option('--test-data <dir>', 'separate test folder with the same class subfolders')
    .option('--losses <ids>', 'comma-separated loss ids (see `losslab losses`), each optionally with recipe parts: ce+sampler:class-balanced, ldam+drw:8, ce+drs:8, ce+crt, ce+lws:5 (see `losslab methods`); required')
    .option('--param <loss.key=value>', 'loss hyperparameter, repeatable (e.g. focal.gamma=1); a list sweeps it, one entry per value (focal.gamma=0.5,1,2,5)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--imbalance <profile>', withDefault('none | exp:RHO | step:RHO | counts:FILE; several settings make a sweep: exp:1,10,50,100 or none,exp:10,step:10', d.imbalance.kind))
    .option('--image-size <px>', withDefault('images are resized to this square size', d.imageSize), parseInteger('--image-size', 8, 256))
    .option('--batch-size <n>', withDefault('batch size', d.training.batchSize), parseInteger('--batch-size', 2, 4096))
    .option('--lr <rate>', withDefault('learning rate', d.training.learningRate), parseNumber('--lr', 1e-8, 10))
    .addOption(new Option('--optimizer <name>', withDefault('optimiser', d.training.optimizer)).choices(['adam', 'sgd']))
    .addOption(new Option('--schedule <name>', withDefault('learning-rate schedule', d.training.schedule)).choices(['constant', 'cosine', 'step']))
    .option('--weight-decay <value>', withDefault('L2 weight decay', d.training.weightDecay), parseNumber('--weight-decay', 0, 1))
    .option('--augment <list>', withDefault('flip,crop or none', 'none'))
    .option('--model <name>', 'network: cnn, resnet-20, resnet-32, resnet-56, backbone (default cnn)')
    .option('--backbone <source>', 'pretrained TF.js layers model: folder, model.json, http(s) URL or preset (mobilenet-v1-0.25, -0.50, -1.00, mobilenet-v2-0.35, -1.00); implies --model backbone')
    .option('--feature-layer <name>', 'backbone layer whose output is the feature vector (default: the preset\'s, else the layer before the classifier)')
    .option('--finetune <mode>', 'none (frozen, features cached) | last:N | all (default: none)')
    .option('--backbone-lr <rate>', 'learning rate of fine-tuned backbone layers (default --lr / 10)', parseNumber('--backbone-lr', 1e-8, 10))
    .option('--backbone-sha256 <hex>', 'expected SHA-256 of model.json followed by its weight files')
    .addOption(new Option('--backbone-scaling <scaling>', 'backbone pixel scaling (default: the preset\'s, else minus1to1)').choices([...BACKBONE_SCALINGS]))
    .option('--head <head>', 'linear or mlp:UNITS, e.g. mlp:256 (default: linear)')
    .option('--width <n>', 'filters in the first block or stage (default 16)', parseInteger('--width', 4, 256))
    .option('--depth <n>', 'CNN conv blocks (default 3)', parseInteger('--depth', 1, 6))
    .option('--val-fraction <f>', withDefault('validation share of the training pool', d.valFraction), parseNumber('--val-fraction', 0, 0.9))
    .option('--test-fraction <f>', withDefault('held-out test share', d.testFraction), parseNumber('--test-fraction', 0.01, 0.9))
    .option('--split-seed <n>', withDefault('seed of the data split and tail choice', d.splitSeed), parseInteger('--split-seed', 0, 2 ** 31 - 1))
    .addOption(new Option('--resize <policy>', withDefault('how images become square', d.resize)).choices(['center-crop', 'squash', 'letterbox']))
    .addOption(new Option('--color-mode <mode>', withDefault('colour handling', d.colorMode)).choices(['auto', 'rgb', 'grayscale']))
    .addOption(new Option('--sampler <name>', withDefault('how each epoch draws its images (every loss entry; see `losslab methods`)', 'instance')).choices([...SAMPLER_IDS]))
    .option('--drw <epoch>', withDefault('deferred re-weighting: class-balanced weights from this 0-based epoch', 'none'), parseInteger('--drw', 0, 999))
    .option('--drw-beta <beta>', 'β of the DRW weights (default 0.9999)', parseNumber('--drw-beta', 0, 0.999999999))
    .option('--drs <epoch>', withDefault('deferred re-sampling: the class-balanced sampler from this 0-based epoch', 'none'), parseInteger('--drs', 0, 999))
    .option('--second-stage <stage>', 'decoupled second stage after the loss: none, crt[:EPOCHS] or lws[:EPOCHS] (default 10 epochs)')
    .option('--yes', 'train a sweep of more than 2,000 runs (default: such a sweep is refused)')
    .option('--redis <url>', 'queue mode: the runs go to `losslab worker`s serving this Redis (redis:// or rediss://); --workers N then trains N here too (default: none, train here)')
    .option('--publish-data', 'queue mode: publish the decoded data through Redis instead of each worker reading the dataset (default: workers read the dataset; see the README\'s queue section)')
    .option('--data-share <dir>', 'queue mode: publish the decoded data to this folder, which every worker mounts and names with its own --data-share (default: none)');
  addTrainingOptions(command, d).action(async (flags: RunFlags) => {
    const queue = queueOptionsFromFlags(flags);
    const input = configFromFlags(flags) as Record<string, unknown>;
    const model = input.model as Record<string, unknown>;
    // A backbone's input size becomes the image size unless one was asked for.
    if (model.family === 'backbone' && input.imageSize === undefined) {
      const bar = downloadProgressBar();
      try {
        const size = await backboneInputSize(String(model.source), { onDownload: bar.update });
        if (size !== null) input.imageSize = size;
      } finally {
        bar.stop();
      }
    }
    const config = parseExperimentConfig(input);
    if (config.sweep) {
      await executeSweep(config, {
        cache: flags.cache,
        confirmed: flags.yes === true,
        ...(flags.out ? { out: flags.out } : {}),
        ...queue,
      });
      return;
    }
    await executeExperiment(config, {
      cache: flags.cache,
      ...(flags.out ? { out: flags.out } : {}),
      ...queue,
    });
  });
}
