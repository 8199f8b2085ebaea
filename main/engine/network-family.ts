import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * What every network family provides: a feature extractor from images to one vector per
 * image. LossLab puts the same linear head on top of every family (model.ts), so a family
 * decides only the body, and every loss trained with a given seed starts from the same weights.
 */
export interface NetworkInput {
  imageSize: number;
  channels: number;
}

export interface FeatureExtractor {
  /** Images [N, S, S, C] → features [N, featureSize]. */
  model: tfl.LayersModel;
  featureSize: number;
}
