import type { AnalysisView, CellImage, PredictionsPage, Request, Responses } from '../../../main/api/contract';
import type { ExperimentResults, RunResult } from '../../../main/results/types';
import type { LossLabClient } from '../api';
import type { ConfusionView } from '../lib/confusion';
import { describeError, type ShownError } from '../lib/error-advice';

/** A confusion cell the user opened: which run, which true / predicted class. */
export interface CellSelection {
  runId: string;
  lossKey: string;
  /** The loss as shown in the matrix title. */
  lossLabel: string;
  seed: number;
  trueClass: number;
  predictedClass: number;
}

const CELL_IMAGE_LIMIT = 60;
/** Test images per page of the per-image view. */
export const PREDICTIONS_PAGE = 12;

export type PredictionFilter = Request<'experiments.predictions'>['filter'] & string;

/** The experiment whose results are on screen, and what the user picked in them. */
export class ResultsState {
  results = $state.raw<ExperimentResults | null>(null);
  loading = $state(false);
  error = $state<ShownError | null>(null);
  view = $state<ConfusionView>('counts');
  /** Which seed's confusion matrices are shown (runs are per loss × seed). */
  seed = $state<number | null>(null);

  cell = $state<CellSelection | null>(null);
  cellImages = $state.raw<CellImage[]>([]);
  cellTotal = $state(0);
  cellLoading = $state(false);
  cellError = $state<ShownError | null>(null);
  private cellRequest = 0;

  /** The reports' analysis of the open experiment (paired comparisons, calibration, post-hoc rows, verdict). */
  analysis = $state.raw<AnalysisView | null>(null);
  analysisLoading = $state(false);
  analysisError = $state<ShownError | null>(null);
  private analysisRequest = 0;

  /** The per-image view: a page of test images with each loss's prediction for one seed. */
  predictions = $state.raw<PredictionsPage | null>(null);
  predictionsLoading = $state(false);
  predictionsError = $state<ShownError | null>(null);
  predictionFilter = $state<PredictionFilter>('all');
  predictionClass = $state<number | null>(null);
  predictionSeed = $state<number | null>(null);
  predictionOffset = $state(0);
  private predictionsRequest = 0;

  constructor(private readonly client: LossLabClient) {}

  async load(id: string): Promise<boolean> {
    this.loading = true;
    this.error = null;
    try {
      this.show(await this.client.api['experiments.get']({ id }));
      return true;
    } catch (error) {
      this.error = describeError(error, 'Could not load the results', 'The experiment may have been deleted or its results.json damaged; pick another one on the History screen.');
      return false;
    } finally {
      this.loading = false;
    }
  }

  show(results: ExperimentResults): void {
    this.results = results;
    this.seed = results.config.seeds[0] ?? null;
    this.closeCell();
    this.analysis = null;
    this.analysisError = null;
    this.predictions = null;
    this.predictionsError = null;
    this.predictionFilter = 'all';
    this.predictionClass = null;
    this.predictionSeed = null;
    this.predictionOffset = 0;
    // Only finished runs can be analysed; an experiment where none finished has nothing to add.
    if (results.runs.some((run) => run.status === 'done')) {
      void this.loadAnalysis();
      void this.loadPredictions();
    }
  }

  /** Runs the reports' analysis in the main process, against `baseline` (default: the analysis's own choice). */
  async loadAnalysis(baseline?: string): Promise<void> {
    const id = this.results?.id;
    if (!id) return;
    const request = ++this.analysisRequest;
    this.analysisLoading = true;
    this.analysisError = null;
    try {
      const view = await this.client.api['experiments.analysis'](baseline === undefined ? { id } : { id, baseline });
      if (request === this.analysisRequest) this.analysis = view;
    } catch (error) {
      if (request === this.analysisRequest) this.analysisError = describeError(error, 'Could not compute the comparison', 'The table above still holds every run\'s own metrics; the paired statistics need the saved predictions (logits.json) of the experiment folder.');
    } finally {
      if (request === this.analysisRequest) this.analysisLoading = false;
    }
  }

  /** Loads the page of test images the filter, class, seed and offset select. */
  async loadPredictions(): Promise<void> {
    const id = this.results?.id;
    if (!id) return;
    const request = ++this.predictionsRequest;
    this.predictionsLoading = true;
    this.predictionsError = null;
    try {
      const page = await this.client.api['experiments.predictions']({
        id,
        offset: this.predictionOffset,
        limit: PREDICTIONS_PAGE,
        filter: this.predictionFilter,
        ...(this.predictionSeed !== null ? { seed: this.predictionSeed } : {}),
        ...(this.predictionClass !== null ? { trueClass: this.predictionClass } : {}),
      });
      if (request !== this.predictionsRequest) return;
      this.predictions = page;
      this.predictionSeed = page.seed;
    } catch (error) {
      if (request === this.predictionsRequest) this.predictionsError = describeError(error, 'Could not load the test images', 'The dataset folder may have moved since training, or the experiment has no saved predictions.');
    } finally {
      if (request === this.predictionsRequest) this.predictionsLoading = false;
    }
  }

  /** Changes what the per-image view shows, back to its first page. */
  choosePredictions(change: { filter?: PredictionFilter; trueClass?: number | null; seed?: number }): void {
    if (change.filter !== undefined) this.predictionFilter = change.filter;
    if (change.trueClass !== undefined) this.predictionClass = change.trueClass;
    if (change.seed !== undefined) this.predictionSeed = change.seed;
    this.predictionOffset = 0;
    void this.loadPredictions();
  }

  pagePredictions(direction: 1 | -1): void {
    const total = this.predictions?.total ?? 0;
    const next = this.predictionOffset + direction * PREDICTIONS_PAGE;
    if (next < 0 || next >= total) return;
    this.predictionOffset = next;
    void this.loadPredictions();
  }

  /** The finished run of each loss for the chosen seed, in the order losses were listed. */
  runsForSeed(): RunResult[] {
    const results = this.results;
    if (!results) return [];
    return results.summary
      .map((s) => results.runs.find((r) => r.lossKey === s.lossKey && r.seed === this.seed))
      .filter((r): r is RunResult => r !== undefined);
  }

  async openCell(selection: CellSelection): Promise<void> {
    const id = this.results?.id;
    if (!id) return;
    const request = ++this.cellRequest;
    this.cell = selection;
    this.cellImages = [];
    this.cellTotal = 0;
    this.cellError = null;
    this.cellLoading = true;
    try {
      const answer: Responses['experiments.cellImages'] = await this.client.api['experiments.cellImages']({
        id,
        runId: selection.runId,
        trueClass: selection.trueClass,
        predictedClass: selection.predictedClass,
        limit: CELL_IMAGE_LIMIT,
      });
      if (request !== this.cellRequest) return;
      this.cellImages = answer.images;
      this.cellTotal = answer.total;
    } catch (error) {
      if (request !== this.cellRequest) return;
      this.cellError = describeError(error, 'Could not load these images', 'The dataset folder may have moved or been deleted since training; the numbers in the matrix are still valid.');
    } finally {
      if (request === this.cellRequest) this.cellLoading = false;
    }
  }

  closeCell(): void {
    this.cellRequest++;
    this.cell = null;
    this.cellImages = [];
    this.cellTotal = 0;
    this.cellLoading = false;
    this.cellError = null;
  }
}
