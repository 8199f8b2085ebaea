/** Public surface of the loss catalogue, for the engine, the CLI and the app. */
export { createLoss, getLoss, listLosses, LossParamError, resolveLossParams, parseParamAssignments, parseScopedParamAssignments, formatRange } from './registry';
export type { RawParams, RawParamValue } from './registry';
export { adjustLogitsPostHoc, argmaxRows } from './posthoc';
export { classPriorsFromCounts } from './weights';
export { computeLossValues, type LossValuesInput, type LossValuesResult } from './values';
export { parseNumberList, parseNumberTable } from './table-input';
export { catalogueJson, catalogueText, type CatalogueJsonEntry } from './catalogue-text';
export type { HeadAdvice, LossContext, LossDefinition, LossFunction, LossParams, LossStep, ParamSpec } from './types';
