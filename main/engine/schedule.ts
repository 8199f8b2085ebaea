import type { TrainingSpec } from '../experiment/config';

/**
 * Learning rate for a step, from the configured schedule. Cosine decays to zero over all steps
 * (Loshchilov & Hutter's SGDR without restarts); step divides by 10 at 50% and 75% of training.
 */
export function learningRateAt(training: TrainingSpec, step: number, totalSteps: number): number {
  const base = training.learningRate;
  const progress = totalSteps > 0 ? Math.min(1, step / totalSteps) : 0;
  switch (training.schedule) {
    case 'constant':
      return base;
    case 'cosine':
      return 0.5 * base * (1 + Math.cos(Math.PI * progress));
    case 'step':
      return progress < 0.5 ? base : progress < 0.75 ? base * 0.1 : base * 0.01;
  }
}
