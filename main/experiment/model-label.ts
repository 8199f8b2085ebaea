import { modelSchema, type ModelSpec } from './config';

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
  }
}

/** The `--model` name: cnn or resnet-DEPTH. */
export function modelName(stored: ModelSpec): string {
  const spec = modelSchema.parse(stored);
  return spec.family === 'cnn' ? 'cnn' : `resnet-${spec.depth}`;
}

export function modelFlags(stored: ModelSpec): string[] {
  const spec = modelSchema.parse(stored);
  const flags = ['--model', modelName(spec), '--width', String(spec.width)];
  if (spec.family === 'cnn') flags.push('--depth', String(spec.depth));
  return flags;
}
