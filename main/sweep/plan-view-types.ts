// Types only, with no imports: the API contract (and through it the renderer) reads them.

/**
 * What a study will train and about how long it will take, for the app to show before it
 * starts (API `sweep.plan`): the settings, the run count against the confirmation limit, each
 * setting's training images, and an estimate from earlier runs of the same network on this
 * machine (none when there are none: the estimate then comes from the first epochs).
 * Refusals (invalid values, a class left without training images) are thrown with their message.
 */
export interface SweepPlanView {
  settings: { index: number; label: string; rho: number | null; runs: number; trainImages: number }[];
  param: { loss: string; key: string; values: number[] } | null;
  totalRuns: number;
  limit: number;
  needsConfirmation: boolean;
  estimate: { seconds: number | null; basis: 'past' | 'none'; pastRuns: number };
}


/** A stored sweep as History and `losslab list` show it. */
export interface SweepListing {
  id: string;
  dir: string;
  createdAt: string;
  settings: number;
  runsTotal: number;
  runsFinished: number;
}
