/** Public API of the dataset module: load image folders, plan splits, find the sample set. */
export { loadDataset, defaultConcurrency, DEFAULT_MAX_PIXELS, DEFAULT_MAX_FILE_BYTES } from './load';
export { planSplits, DEFAULT_TEST_FRACTION, DEFAULT_VAL_FRACTION } from './splits';
export { previewImbalance, computeImbalance, validateImbalance, type ImbalanceResult } from './imbalance';
export { DatasetError, isDatasetError, type DatasetErrorCode } from './errors';
export { sampleDatasetPath, packageRoot } from './sample';
export { compareCodePoints } from './names';
export type * from './types';
