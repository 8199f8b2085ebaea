import fs from 'node:fs';
import { Command, Option } from 'commander';
import { BACKBONE_SCALINGS, parseExperimentConfig, type ExperimentConfigInput } from '../../experiment/config';
import { backboneInputSize } from '../../engine/backbone/source';
import { executeExperiment } from '../execute';
import { parseFinetune, parseHead, parseImbalance, parseInteger, parseList, parseLossParams, parseModel, parseNumber, parseSeeds, UsageError } from '../options';
import { downloadProgressBar } from '../progress';

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
  cache: boolean;
  redis?: string;
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
  if (flags.losses) {
    const params = parseLossParams(flags.param);
    const ids = parseList(flags.losses);
    for (const loss of params.keys()) {
      if (!ids.includes(loss)) throw new UsageError(`--param names loss "${loss}", which is not in --losses (${ids.join(',')})`);
    }
    config.losses = ids.map((id) => ({ id, params: params.get(id) ?? {} }));
  } else if (flags.param.length > 0) {
    throw new UsageError('--param needs --losses on the command line');
  }
  if (flags.imbalance) config.imbalance = parseImbalance(flags.imbalance);
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

/** Options shared by `run` and `demo`. */
export function addTrainingOptions(command: Command): Command {
  return command
    .option('--epochs <n>', 'training epochs per run', parseInteger('--epochs', 1, 1000))
    .option('--seeds <list>', 'comma-separated seeds; one run per loss and seed (e.g. 1,2,3)')
    .option('--out <dir>', 'output folder (default: ./losslab-results/<experiment id>)')
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']))
    .option('--workers <n>', 'parallel training workers (0: one per core)', parseInteger('--workers', 0, 64))
    .option('--no-cache', 'do not read or write the decoded-image cache');
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('train one CNN per loss (and seed) on an image folder and compare them')
    .option('--config <file>', 'JSON experiment configuration; flags given override it')
    .option('--data <dir>', 'dataset folder: one subfolder per class, or train/ and test/ folders')
    .option('--test-data <dir>', 'separate test folder with the same class subfolders')
    .option('--losses <ids>', 'comma-separated loss ids (see `losslab losses`)')
    .option('--param <loss.key=value>', 'loss hyperparameter, repeatable (e.g. focal.gamma=1)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--imbalance <profile>', 'none | exp:RHO | step:RHO | counts:FILE')
    .option('--image-size <px>', 'images are resized to this square size', parseInteger('--image-size', 8, 256))
    .option('--batch-size <n>', 'batch size', parseInteger('--batch-size', 2, 4096))
    .option('--lr <rate>', 'learning rate', parseNumber('--lr', 1e-8, 10))
    .addOption(new Option('--optimizer <name>', 'optimiser').choices(['adam', 'sgd']))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices(['constant', 'cosine', 'step']))
    .option('--weight-decay <value>', 'L2 weight decay', parseNumber('--weight-decay', 0, 1))
    .option('--augment <list>', 'flip,crop or none')
    .option('--model <name>', 'network: cnn, resnet-20, resnet-32, resnet-56, backbone (default cnn)')
    .option('--backbone <source>', 'pretrained TF.js layers model: folder, model.json, http(s) URL or preset (mobilenet-v1-0.25, -0.50, -1.00, mobilenet-v2-0.35, -1.00); implies --model backbone')
    .option('--feature-layer <name>', 'backbone layer whose output is the feature vector (default: the preset\'s, else the layer before the classifier)')
    .option('--finetune <mode>', 'none (frozen, features cached; default) | last:N | all')
    .option('--backbone-lr <rate>', 'learning rate of fine-tuned backbone layers (default --lr / 10)', parseNumber('--backbone-lr', 1e-8, 10))
    .option('--backbone-sha256 <hex>', 'expected SHA-256 of model.json followed by its weight files')
    .addOption(new Option('--backbone-scaling <scaling>', 'backbone pixel scaling (default: the preset\'s, else minus1to1)').choices([...BACKBONE_SCALINGS]))
    .option('--head <head>', 'linear (default) or mlp:UNITS, e.g. mlp:256')
    .option('--width <n>', 'filters in the first block or stage (default 16)', parseInteger('--width', 4, 256))
    .option('--depth <n>', 'CNN conv blocks (default 3)', parseInteger('--depth', 1, 6))
    .option('--val-fraction <f>', 'validation share of the training pool', parseNumber('--val-fraction', 0, 0.9))
    .option('--test-fraction <f>', 'held-out test share', parseNumber('--test-fraction', 0.01, 0.9))
    .option('--split-seed <n>', 'seed of the data split and tail choice', parseInteger('--split-seed', 0, 2 ** 31 - 1))
    .addOption(new Option('--resize <policy>', 'how images become square').choices(['center-crop', 'squash', 'letterbox']))
    .addOption(new Option('--color-mode <mode>', 'colour handling').choices(['auto', 'rgb', 'grayscale']))
    .option('--redis <url>', 'queue mode: the runs go to `losslab worker`s serving this Redis (redis:// or rediss://); --workers N then trains N here too');
  addTrainingOptions(command).action(async (flags: RunFlags) => {
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
    await executeExperiment(config, {
      cache: flags.cache,
      ...(flags.out ? { out: flags.out } : {}),
      // In queue mode this process trains nothing unless --workers asks it to.
      ...(flags.redis ? { redis: flags.redis, localWorkers: flags.workers ?? 0 } : {}),
    });
  });
}
