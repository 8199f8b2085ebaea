import type { Theme } from '../lib/colour-scale';

/** 'system' follows the operating system's light/dark setting; the others override it. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const STORAGE_KEY = 'losslab.theme';

function readStoredChoice(storage: Storage | null): ThemeChoice {
  const stored = storage?.getItem(STORAGE_KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

function safeStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage can be disabled (privacy settings); the theme then just isn't remembered
  }
}

/**
 * The active theme. Charts read `theme.current` because their colours are computed, not
 * just styled; everything else follows the `data-theme` attribute on <html>.
 */
export class ThemeState {
  choice = $state<ThemeChoice>('system');
  private systemPrefersDark = $state(false);
  readonly current: Theme = $derived(this.choice === 'system' ? (this.systemPrefersDark ? 'dark' : 'light') : this.choice);

  constructor(private readonly storage: Storage | null = safeStorage()) {
    this.choice = readStoredChoice(storage);
    const query = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
    if (query) {
      this.systemPrefersDark = query.matches;
      query.addEventListener?.('change', (event) => (this.systemPrefersDark = event.matches));
    }
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    if (choice === 'system') this.storage?.removeItem(STORAGE_KEY);
    else this.storage?.setItem(STORAGE_KEY, choice);
  }

  /** The toggle button flips between light and dark from whatever is showing now. */
  toggle(): void {
    this.set(this.current === 'dark' ? 'light' : 'dark');
  }
}

export const theme = new ThemeState();
