import { BACKBONE_SCALINGS, backboneModelSchema, type BackboneModelSpec, type BackboneScaling } from '../../../main/experiment/config';
import { BACKBONE_PRESETS, findPreset, isDownloadedSource, type BackbonePreset } from '../../../main/engine/backbone/presets';
import { MODEL_DEFAULTS } from './network';

/**
 * The pretrained-backbone fields of the Experiment screen, as typed, and their translation to
 * the configuration's `model` block. The configuration schema (`backboneModelSchema`) has the
 * last word; the checks before it only say the same things in the screen's words.
 */

export { BACKBONE_PRESETS, BACKBONE_SCALINGS, findPreset, isDownloadedSource, type BackbonePreset, type BackboneScaling };

export type BackboneSourceKind = 'preset' | 'path';
export type FinetuneMode = 'none' | 'last' | 'all';
export type HeadKind = 'linear' | 'mlp';

export interface BackboneFields {
  sourceKind: BackboneSourceKind;
  /** A preset's name (BACKBONE_PRESETS). */
  preset: string;
  /** A folder, a model.json path or an http(s) URL of a model.json. */
  path: string;
  /** Empty: the preset's layer, otherwise the layer before the classifier. */
  featureLayer: string;
  finetuneMode: FinetuneMode;
  finetuneLast: number;
  headKind: HeadKind;
  headUnits: number;
  /** NaN (an empty field): a tenth of the training learning rate. */
  learningRate: number;
  /** Empty: not checked (the hash of what was used is recorded). */
  sha256: string;
  /** Empty: the preset's scaling, otherwise minus1to1. */
  scaling: BackboneScaling | '';
}

export function defaultBackboneFields(): BackboneFields {
  return {
    sourceKind: 'preset',
    preset: MODEL_DEFAULTS.backbone.preset,
    path: '',
    featureLayer: '',
    finetuneMode: 'none',
    finetuneLast: MODEL_DEFAULTS.backbone.finetuneLast,
    headKind: 'linear',
    headUnits: MODEL_DEFAULTS.backbone.headUnits,
    learningRate: Number.NaN,
    sha256: '',
    scaling: '',
  };
}

/** The fields of a stored backbone setting (a past experiment's), for editing. */
export function backboneFieldsOf(spec: BackboneModelSpec): BackboneFields {
  const preset = findPreset(spec.source);
  const defaults = defaultBackboneFields();
  return {
    sourceKind: preset ? 'preset' : 'path',
    preset: preset?.name ?? defaults.preset,
    path: preset ? '' : spec.source,
    featureLayer: spec.featureLayer ?? '',
    finetuneMode: typeof spec.finetune === 'object' ? 'last' : spec.finetune,
    finetuneLast: typeof spec.finetune === 'object' ? spec.finetune.last : defaults.finetuneLast,
    headKind: spec.head === 'linear' ? 'linear' : 'mlp',
    headUnits: spec.head === 'linear' ? defaults.headUnits : spec.head.mlp,
    learningRate: spec.backboneLearningRate ?? Number.NaN,
    sha256: spec.sha256 ?? '',
    scaling: spec.scaling ?? '',
  };
}

export function backboneSource(fields: BackboneFields): string {
  return fields.sourceKind === 'preset' ? fields.preset : fields.path.trim();
}

/** The configuration's backbone block for these fields (not yet validated). */
export function backboneSpec(fields: BackboneFields): BackboneModelSpec {
  const featureLayer = fields.featureLayer.trim();
  const sha256 = fields.sha256.trim();
  return {
    family: 'backbone',
    source: backboneSource(fields),
    ...(featureLayer ? { featureLayer } : {}),
    ...(fields.scaling ? { scaling: fields.scaling } : {}),
    ...(sha256 ? { sha256 } : {}),
    finetune: fields.finetuneMode === 'last' ? { last: fields.finetuneLast } : fields.finetuneMode,
    ...(fields.finetuneMode !== 'none' && Number.isFinite(fields.learningRate) ? { backboneLearningRate: fields.learningRate } : {}),
    head: fields.headKind === 'mlp' ? { mlp: fields.headUnits } : 'linear',
  };
}

/** Which screen field a schema path belongs to. */
const FIELD_OF: Record<string, string> = {
  source: 'backboneSource',
  featureLayer: 'featureLayer',
  scaling: 'backboneScaling',
  sha256: 'backboneSha256',
  finetune: 'finetuneLast',
  backboneLearningRate: 'backboneLearningRate',
  head: 'headUnits',
};

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function wholeNumberIn(value: number, min: number, max: number, what: string): string | null {
  if (!Number.isFinite(value)) return `${what} needs a number.`;
  if (!Number.isInteger(value) || value < min || value > max) return `${what} must be a whole number from ${min} to ${max}.`;
  return null;
}

/** What is wrong with the backbone fields, per field, as the user types. */
export function backboneProblems(fields: BackboneFields): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const add = (field: string, message: string | null) => message && problems.push({ field, message });
  const source = backboneSource(fields);
  if (fields.sourceKind === 'preset' && !findPreset(source)) add('backboneSource', `Choose one of the presets (${BACKBONE_PRESETS.map((p) => p.name).join(', ')}).`);
  if (fields.sourceKind === 'path') {
    if (!source) add('backboneSource', 'Type the folder that holds model.json, the path of a model.json, or an http(s) URL of one.');
    else if (/^https?:/i.test(source) && !isUrl(source)) add('backboneSource', `${source} is not a complete URL; it should look like https://host/path/model.json.`);
  }
  if (fields.finetuneMode === 'last') add('finetuneLast', wholeNumberIn(fields.finetuneLast, 1, 10000, 'The number of layers to fine-tune'));
  if (fields.headKind === 'mlp') add('headUnits', wholeNumberIn(fields.headUnits, 1, 65536, 'The hidden layer'));
  if (fields.finetuneMode !== 'none' && Number.isFinite(fields.learningRate) && !(fields.learningRate > 0 && fields.learningRate <= 10)) {
    add('backboneLearningRate', 'The backbone learning rate must be above 0 and at most 10; leave it empty for a tenth of the learning rate.');
  }
  if (fields.sha256.trim() && !/^[0-9a-f]{64}$/i.test(fields.sha256.trim())) add('backboneSha256', 'A SHA-256 is 64 hexadecimal digits; leave it empty not to check one.');
  if (problems.length > 0) return problems;
  // Anything the screen's checks let through, the configuration's schema still refuses.
  const parsed = backboneModelSchema.safeParse(backboneSpec(fields));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) add(FIELD_OF[String(issue.path[0])] ?? 'backboneSource', `Backbone ${issue.path.join('.')}: ${issue.message}`);
  }
  return problems;
}

/** The input size the backbone needs, where it is known before loading it (a preset's). */
export function knownInputSize(fields: BackboneFields): number | null {
  return fields.sourceKind === 'preset' ? (findPreset(fields.preset)?.inputSize ?? null) : null;
}
