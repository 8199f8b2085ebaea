import type { AppInfo, Responses } from '../../../main/api/contract';
import type { ConnectionState, LossLabClient } from '../api/types';
import { DatasetState } from './dataset.svelte';
import { DesignState } from './design.svelte';
import { HistoryState } from './history.svelte';
import { NoticeList } from './notices.svelte';
import { ResultsState } from './results.svelte';
import { TrainingState } from './training.svelte';

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

  constructor(readonly client: LossLabClient) {
    this.dataset = new DatasetState(client);
    this.design = new DesignState(client);
    this.training = new TrainingState(client);
    this.results = new ResultsState(client);
    this.history = new HistoryState(client);
    this.training.onFinished = (id) => void this.showFinished(id);
    this.dataset.onOpened = () => this.design.datasetChanged();
    client.onConnectionChange((state) => (this.connection = state));
  }

  async init(): Promise<void> {
    const api = this.client.api;
    const [info, losses, backends, running] = await Promise.allSettled([
      api['app.info']({}),
      api['losses.list']({}),
      api['backends.list']({}),
      api['experiments.running']({}),
    ]);
    if (info.status === 'fulfilled') this.info = info.value;
    else this.notices.report(info.reason, 'Could not reach LossLab', 'Reload the page once the app or `losslab serve` is running.');
    if (losses.status === 'fulfilled') this.design.setCatalogue(losses.value);
    else this.notices.report(losses.reason, 'Could not load the loss catalogue', 'Reload the page; if it keeps failing, restart LossLab.');
    if (backends.status === 'fulfilled') this.backends = backends.value;
    else this.notices.report(backends.reason, 'Could not list the training backends', 'Training still works with the automatic choice; reload to try again.');
    if (running.status === 'fulfilled' && running.value.length > 0) {
      // A reload mid-training picks the newest running experiment back up.
      this.training.resume(running.value[0]!);
      this.screen = 'training';
    }
    this.starting = false;
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
