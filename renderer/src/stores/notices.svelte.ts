import { describeError, type ShownError } from '../lib/error-advice';

export interface Notice extends ShownError {
  id: number;
}

/** Errors not tied to one panel (start-up, background events) collect here and stay until dismissed. */
export class NoticeList {
  items = $state<Notice[]>([]);
  private nextId = 1;

  report(error: unknown, title: string, advice: string): void {
    const shown = describeError(error, title, advice);
    // The same failure repeated (e.g. a socket that keeps dropping) is shown once.
    if (this.items.some((n) => n.title === shown.title && n.message === shown.message)) return;
    this.items.push({ id: this.nextId++, ...shown });
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }
}
