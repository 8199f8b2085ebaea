import { modelSchema, type BackboneModelSpec, type ModelSpec } from './config';

/** `none`, `all` or `last:N`: the --finetune value. */
export function finetuneName(finetune: BackboneModelSpec['finetune']): string {
  return typeof finetune === 'object' ? `last:${finetune.last}` : finetune;
}

/** `linear` or `mlp:UNITS`: the --head value. */
export function headName(head: BackboneModelSpec['head']): string {
  return typeof head === 'object' ? `mlp:${head.mlp}` : head;
}

/**
 * The network in words and as command-line flags. Both take the stored form through the
 * schema first, so results written before network families existed (no `family`) read as the CNN.
 */
export function modelLabel(stored: ModelSpec): string {
  const spec = modelSchema.parse(stored);
  switch (spec.family) {
    case 'cnn':
      return `CNN, ${spec.depth} conv blocks, width ${spec.width}`;
    case 'resnet':
      return `ResNet-${spec.depth} (CIFAR, option-A shortcuts), width ${spec.width}`;
    case 'backbone':
      return `Pretrained backbone ${spec.source}${spec.featureLayer ? ` at ${spec.featureLayer}` : ''}, finetune ${finetuneName(spec.finetune)}, ${headName(spec.head)} head`;
  }
}

/** The `--model` name: cnn, resnet-DEPTH or backbone. */
export function modelName(stored: ModelSpec): string {
  const spec = modelSchema.parse(stored);
  return spec.family === 'resnet' ? `resnet-${spec.depth}` : spec.family;
}

export function modelFlags(stored: ModelSpec): string[] {
  const spec = modelSchema.parse(stored);
  if (spec.family === 'backbone') {
    const flags = ['--backbone', spec.source, '--finetune', finetuneName(spec.finetune), '--head', headName(spec.head)];
    if (spec.featureLayer) flags.push('--feature-layer', spec.featureLayer);
    if (spec.sha256) flags.push('--backbone-sha256', spec.sha256);
    if (spec.scaling) flags.push('--backbone-scaling', spec.scaling);
    if (spec.backboneLearningRate !== undefined) flags.push('--backbone-lr', String(spec.backboneLearningRate));
    return flags;
  }
  const flags = ['--model', modelName(spec), '--width', String(spec.width)];
  if (spec.family === 'cnn') flags.push('--depth', String(spec.depth));
  return flags;
}
