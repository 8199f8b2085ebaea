import type { AppInfo, Responses } from '../../../main/api/contract';
import type { ConnectionState, LossLabClient } from '../api/types';
import { DatasetState } from './dataset.svelte';
import { describeError } from '../lib/error-advice';
import { DesignState, type DatasetChoice } from './design.svelte';
import { HistoryState } from './history.svelte';
import { NoticeList } from './notices.svelte';
import { ResultsState } from './results.svelte';
import { TrainingState } from './training.svelte';
import { applySavedDesign, browserStorage, forgetSavedDesign, readSavedDesign, snapshotDesign, writeSavedDesign } from './saved-design';

export const SCREENS = [
  { id: 'dataset', label: 'Dataset' },
  { id: 'experiment', label: 'Experiment' },
  { id: 'training', label: 'Training' },
  { id: 'results', label: 'Results' },
  { id: 'history', label: 'History' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];

export type BackendList = Responses['backends.list'];

/** Everything the screens share; one instance per window, created at start-up. */
export class AppState {
  screen = $state<ScreenId>('dataset');
  info = $state<AppInfo | null>(null);
  backends = $state.raw<BackendList | null>(null);
  connection = $state<ConnectionState>('connecting');
  /** True until the first catalogue and app info have arrived. */
  starting = $state(true);

  readonly notices = new NoticeList();
  readonly dataset: DatasetState;
  readonly design: DesignState;
  readonly training: TrainingState;
  readonly results: ResultsState;
  readonly history: HistoryState;
  /** A dataset being reopened for a restored or duplicated design: saved as the design's until it is open. */
  private pendingDataset = $state<DatasetChoice | null>(null);
  /** While set, opening a dataset belongs to the design being loaded and does not reset it. */
  private loadingDesign = false;
  private stopSaving: (() => void) | null = null;

  constructor(
    readonly client: LossLabClient,
    private readonly storage: Storage | null = browserStorage(),
  ) {
    this.dataset = new DatasetState(client);
    this.design = new DesignState(client);
    this.training = new TrainingState(client);
    this.results = new ResultsState(client);
    this.history = new HistoryState(client);
    this.training.onFinished = (id) => void this.showFinished(id);
    this.dataset.onOpened = (_path, previous) => {
      if (!this.loadingDesign) this.design.datasetChanged(previous);
    };
    client.onConnectionChange((state) => (this.connection = state));
  }

  async init(): Promise<void> {
    const savedDataset = this.restoreDesign();
    this.saveDesignOnChange();
    const api = this.client.api;
    const [info, losses, backends, running, methods] = await Promise.allSettled([
      api['app.info']({}),
      api['losses.list']({}),
      api['backends.list']({}),
      api['experiments.running']({}),
      api['methods.list']({}),
    ]);
    if (info.status === 'fulfilled') this.info = info.value;
    else this.notices.report(info.reason, 'Could not reach LossLab', 'Reload the page once the app or `losslab serve` is running.');
    if (losses.status === 'fulfilled') this.design.setCatalogue(losses.value);
    else this.notices.report(losses.reason, 'Could not load the loss catalogue', 'Reload the page; if it keeps failing, restart LossLab.');
    if (methods.status === 'fulfilled') this.design.setMethods(methods.value);
    else this.notices.report(methods.reason, 'Could not load the training-methods catalogue', 'Plain losses still work; reload the page to build recipes.');
    if (backends.status === 'fulfilled') this.backends = backends.value;
    else this.notices.report(backends.reason, 'Could not list the training backends', 'Training still works with the automatic choice; reload to try again.');
    if (running.status === 'fulfilled' && running.value.length > 0) {
      // A reload mid-training picks the newest running experiment back up.
      this.training.resume(running.value[0]!);
      this.screen = 'training';
    }
    this.starting = false;
    if (savedDataset && !this.dataset.path) await this.openDesignDataset(savedDataset);
  }

  /** The dataset the design is for: the open one, or the one being reopened. */
  datasetChoice(): DatasetChoice | null {
    const path = this.dataset.path;
    if (!path) return this.pendingDataset;
    const { imageSize, resize, colorMode } = this.dataset.options;
    return { path, imageSize, resize, colorMode };
  }

  /** Puts back the design saved before the last reload or restart; returns its dataset, to reopen. */
  private restoreDesign(): DatasetChoice | null {
    const read = readSavedDesign(this.storage);
    if (read.kind === 'none') return null;
    if (read.kind === 'invalid') {
      forgetSavedDesign(this.storage);
      this.notices.report(
        new Error(`The experiment design saved by an earlier session could not be used (${read.reason}), so it was dropped.`),
        'Started a fresh design',
        'Nothing else is affected: past experiments are on the History screen, where Duplicate loads one for editing.',
      );
      return null;
    }
    applySavedDesign(this.design, read.saved);
    // Kept as the design's dataset from now on, so a reload before it reopens does not lose it.
    this.pendingDataset = read.saved.dataset;
    return read.saved.dataset;
  }

  /** Saves the design whenever any part of it changes, so a reload or restart finds it again. */
  private saveDesignOnChange(): void {
    this.stopSaving?.();
    this.stopSaving = $effect.root(() => {
      $effect(() => writeSavedDesign(this.storage, snapshotDesign(this.design, this.datasetChoice())));
    });
  }

  /** Opens a restored or duplicated design's dataset without resetting the design's per-dataset settings. */
  private async openDesignDataset(choice: DatasetChoice): Promise<boolean> {
    this.pendingDataset = choice;
    this.dataset.options = { imageSize: choice.imageSize, resize: choice.resize, colorMode: choice.colorMode };
    this.loadingDesign = true;
    try {
      return await this.dataset.open(choice.path);
    } finally {
      this.loadingDesign = false;
      this.pendingDataset = null;
    }
  }

  /** History → Duplicate: a past experiment's settings, loaded into the Experiment screen for editing. */
  async duplicate(id: string): Promise<boolean> {
    const config = await this.storedConfig(id);
    if (!config) return false;
    const notes = this.design.applyConfig(config);
    if (config.testData) notes.push('It used a separate test folder, which this screen cannot set; the copy splits the test set off the dataset.');
    if (notes.length > 0) this.notices.report(new Error(notes.join(' ')), 'Duplicated, with changes', 'Check the Experiment screen before starting.');
    this.go('experiment');
    const opened = await this.openDesignDataset({ path: config.data, imageSize: config.imageSize, resize: config.resize, colorMode: config.colorMode });
    if (!opened && this.dataset.error) {
      // Never train a duplicate on whatever dataset happened to be open without saying so.
      const still = this.dataset.path;
      this.notices.report(
        new Error(this.dataset.error.message),
        'The duplicated experiment’s dataset could not be opened',
        still ? `The Experiment screen still uses ${still}. Open the right folder on the Dataset screen before starting.` : 'Open its folder, or another one, on the Dataset screen before starting.',
      );
    }
    return true;
  }

  /** History → Run again: a new experiment with exactly the stored settings. */
  async runAgain(id: string): Promise<boolean> {
    const config = await this.storedConfig(id);
    if (!config) return false;
    const started = await this.training.start(config);
    this.go('training');
    if (started) void this.history.refresh();
    return started;
  }

  private async storedConfig(id: string) {
    try {
      return (await this.client.api['experiments.get']({ id })).config;
    } catch (error) {
      this.history.error = describeError(error, 'Could not read the experiment’s settings', 'Its results.json may be damaged or deleted; pick another experiment.');
      return null;
    }
  }

  go(screen: ScreenId): void {
    this.screen = screen;
  }

  private async showFinished(id: string): Promise<void> {
    // Results load in the background; the Training screen offers a button to view them rather
    // than switching screens under the user's hands.
    await this.results.load(id);
    void this.history.refresh();
  }
}
