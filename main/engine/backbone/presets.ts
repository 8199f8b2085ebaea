import type { BackboneScaling } from '../../experiment/config';

/**
 * The named backbones `--backbone` knows, and which sources are downloaded rather than read
 * from disk. No Node imports: the app's Experiment screen lists the same presets.
 */

export interface BackbonePreset {
  name: string;
  description: string;
  url: string;
  /** Square input size in pixels. */
  inputSize: number;
  scaling: BackboneScaling;
  featureLayer: string;
}

/**
 * The MobileNets Teachable Machine trains on, from the TensorFlow.js model host it uses.
 * v1: the Keras MobileNet v1 converted to a layers model (tfjs-models/tfjs/mobilenet_v1_<α>_224),
 * truncated at 'conv_pw_13_relu' as Teachable Machine's image library does; v2: the Keras
 * MobileNetV2 without its top (teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_
 * tf_kernels_<α>_224_no_top), read at 'out_relu'. Both take 224×224 RGB scaled as x/127.5 − 1
 * (Keras' mobilenet preprocess_input). Assumed from Teachable Machine's source and public uses:
 * the model host cannot be reached from LossLab's build machines, so no SHA-256 is pinned here;
 * the hash of what was downloaded is recorded with every experiment instead.
 */
export const BACKBONE_PRESETS: readonly BackbonePreset[] = [
  ...(['0.25', '0.50', '1.0'] as const).map((alpha) => ({
    name: `mobilenet-v1-${alpha === '1.0' ? '1.00' : alpha}`,
    description: `MobileNet v1, α ${alpha === '1.0' ? '1.00' : alpha}, 224 px (ImageNet)`,
    url: `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${alpha}_224/model.json`,
    inputSize: 224,
    scaling: 'minus1to1' as const,
    featureLayer: 'conv_pw_13_relu',
  })),
  ...(['0.35', '1.0'] as const).map((alpha) => ({
    name: `mobilenet-v2-${alpha === '1.0' ? '1.00' : alpha}`,
    description: `MobileNet v2, α ${alpha === '1.0' ? '1.00' : alpha}, 224 px, no top (ImageNet)`,
    url: `https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha}_224_no_top/model.json`,
    inputSize: 224,
    scaling: 'minus1to1' as const,
    featureLayer: 'out_relu',
  })),
];

/** `mobilenet-v2` alone means Teachable Machine's default (α 0.35); `mobilenet-v1` means α 0.25. */
const PRESET_ALIASES: Record<string, string> = { 'mobilenet-v1': 'mobilenet-v1-0.25', 'mobilenet-v2': 'mobilenet-v2-0.35', mobilenet: 'mobilenet-v1-0.25' };

export function findPreset(name: string): BackbonePreset | undefined {
  const key = PRESET_ALIASES[name.toLowerCase()] ?? name.toLowerCase();
  return BACKBONE_PRESETS.find((p) => p.name === key);
}

/** A backbone that cannot be used: one line that says why and what to do instead. */

/** Whether SOURCE is fetched over the network (a preset or an http(s) URL) rather than read from a local folder or model.json. */
export function isDownloadedSource(source: string): boolean {
  return findPreset(source) !== undefined || /^https?:\/\//i.test(source.trim());
}
