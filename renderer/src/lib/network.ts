import { backboneModelSchema, type BackboneModelSpec, type CnnModelSpec, type ResnetModelSpec } from '../../../main/experiment/config';

/**
 * Network families the Experiment screen offers; a family the engine adds gets an entry here
 * and its fields in TrainingSettings.
 */
export type NetworkFamily = 'cnn' | 'resnet' | 'backbone';
export type EditableModelSpec = CnnModelSpec | ResnetModelSpec | BackboneModelSpec;

export interface FamilyChoice {
  value: NetworkFamily;
  label: string;
  explanation: string;
}

export const NETWORK_FAMILIES: readonly FamilyChoice[] = [
  { value: 'cnn', label: 'CNN', explanation: 'Small and fast; trains from scratch.' },
  {
    value: 'resnet',
    label: 'CIFAR ResNet',
    explanation: 'The network the long-tail papers compare losses on (ResNet-32 on CIFAR-LT); slower.',
  },
  {
    value: 'backbone',
    label: 'Pretrained backbone',
    explanation: 'A pretrained model (MobileNet, or your own TF.js layers model) with LossLab’s head: photos at 224 px, few images per class.',
  },
];

/** The depths the ResNet picker offers (6n + 2). */
export const RESNET_DEPTHS = [20, 32, 56] as const;

export const MODEL_DEFAULTS = {
  cnn: { width: 16, depth: 3 },
  resnet: { width: 16, depth: 32 },
  backbone: { preset: 'mobilenet-v1-0.25', finetuneLast: 2, headUnits: 256 },
} as const;

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * A stored model setting as the engine reads it: configurations written before network
 * families existed carry no `family` and mean the CNN; missing fields take the defaults.
 */
export function storedModel(stored: unknown): EditableModelSpec {
  const model = (stored !== null && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  if (model['family'] === 'backbone') {
    const parsed = backboneModelSchema.safeParse(model);
    if (parsed.success) return parsed.data;
  }
  if (model['family'] === 'resnet') {
    return { family: 'resnet', depth: numberOr(model['depth'], MODEL_DEFAULTS.resnet.depth), width: numberOr(model['width'], MODEL_DEFAULTS.resnet.width) };
  }
  return { family: 'cnn', width: numberOr(model['width'], MODEL_DEFAULTS.cnn.width), depth: numberOr(model['depth'], MODEL_DEFAULTS.cnn.depth) };
}

/** Short name of a stored model, for results written without a network block (the engine's label is used when there is one). */
export function shortModelName(stored: unknown): string {
  const raw = (stored !== null && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  if (raw['family'] === 'backbone') return `Pretrained backbone ${String(raw['source'] ?? '')}`.trim();
  const spec = storedModel(stored);
  if (spec.family === 'backbone') return `Pretrained backbone ${spec.source}`;
  return spec.family === 'resnet' ? `ResNet-${spec.depth}, width ${spec.width}` : `CNN, ${spec.depth} conv blocks, width ${spec.width}`;
}

/** 269722 → "269,722"; the same in every locale so tests and screenshots agree. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** FLOPs per image in millions: 81626368 → "81.6 MFLOPs". */
export function formatMflops(flops: number): string {
  const m = flops / 1e6;
  return `${m >= 100 ? m.toFixed(0) : m >= 10 ? m.toFixed(1) : m.toFixed(2)} MFLOPs`;
}
