import type { CellImage, Responses } from '../../../main/api/contract';
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
