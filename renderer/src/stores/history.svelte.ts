import type { Responses } from '../../../main/api/contract';
import type { LossLabClient } from '../api';
import { describeError, type ShownError } from '../lib/error-advice';

export type ExperimentListing = Responses['experiments.list'][number];
export type SweepListing = Responses['sweeps.list'][number];

/** Past experiments in the store. */
export class HistoryState {
  items = $state.raw<ExperimentListing[]>([]);
  /** Sweeps over several imbalance levels (the app's and the CLI's); their settings are experiments of their own. */
  sweeps = $state.raw<SweepListing[]>([]);
  loading = $state(false);
  loaded = $state(false);
  error = $state<ShownError | null>(null);
  /** Id being deleted, to disable its button and announce the change. */
  deleting = $state<string | null>(null);

  constructor(private readonly client: LossLabClient) {}

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const sweeps = this.client.api['sweeps.list']({}).catch(() => null);
      this.items = await this.client.api['experiments.list']({});
      // Sweeps are a second listing: if only it fails, the experiments still show (each setting is one of them).
      this.sweeps = (await sweeps) ?? [];
      this.error = null;
      this.loaded = true;
    } catch (error) {
      this.error = describeError(error, 'Could not list past experiments', 'Try again with Refresh; if it keeps failing, check that the app’s data folder is readable.');
    } finally {
      this.loading = false;
    }
  }

  async remove(id: string): Promise<boolean> {
    this.deleting = id;
    try {
      await this.client.api['experiments.delete']({ id });
      this.items = this.items.filter((item) => item.id !== id);
      return true;
    } catch (error) {
      this.error = describeError(error, 'Could not delete the experiment', 'A running experiment cannot be deleted: cancel it first. Otherwise check that its folder is writable.');
      return false;
    } finally {
      this.deleting = null;
    }
  }
}
