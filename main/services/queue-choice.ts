import type { AppInfo } from '../api/contract';
import type { RunnerFactory } from '../experiment/run-experiment';
import { redactRedisUrl } from '../queue/connection';
import { queueRunner } from '../queue/queue-pool';
import { reachRedis } from '../queue/reach-redis';

/** A queue the app's studies go to: its Redis and the runner that hands runs to its workers. */
export interface QueueTarget {
  /** The whole URL, password included (see QueueChoice for where it may go). */
  url: string;
  runner: RunnerFactory;
}

export interface QueueChoiceOptions {
  mode: AppInfo['mode'];
  /** Served mode's queue, set for the server's life by `losslab serve --redis URL`. */
  initial?: QueueTarget;
  /** Where a study's queue news goes (runs queued, Redis away for a while). */
  log?: (line: string) => void;
  /** Checks a Redis answers before it is chosen; reachRedis unless a test says otherwise. */
  reach?: (url: string) => Promise<void>;
}

const SERVED_REFUSAL =
  "A served LossLab's queue is chosen when the server starts, not from the browser (a page must not make the server connect to hosts of its choosing). Restart it with `losslab serve --redis URL` to hand runs to queue workers, or without --redis to train on the server.";

/**
 * Where the studies this app starts train: in this process (null) or on a queue of workers.
 * The one source of truth for the experiment, sweep and queue services, read when a study
 * starts, so a study keeps the runner it started with whatever is chosen later.
 *
 * The desktop app changes it with 'queue.connect' / 'queue.disconnect'; served mode's is fixed
 * at start-up. The URL may carry a password: it stays in this object, in this process's memory,
 * and nowhere else — never sent back to the renderer (which gets redactRedisUrl's form), never
 * logged, never written to the store or settings — because a renderer, a log or a file outlives
 * the session and may be read by someone the Redis password was not meant for. Restarting the
 * app therefore starts training locally again, which is also the safe default.
 */
export class QueueChoice {
  private target: QueueTarget | null;
  /** Counts choices, so a slow connect finishing after a newer choice does not overwrite it. */
  private choices = 0;

  constructor(private readonly options: QueueChoiceOptions) {
    this.target = options.initial ?? null;
  }

  /** The queue a study starting now goes to; null: it trains in this process. */
  get(): QueueTarget | null {
    return this.target;
  }

  /** Whether the queue was set by `serve --redis` (its messages say so) rather than chosen in the app. */
  get chosenByServer(): boolean {
    return this.options.mode === 'served';
  }

  /**
   * Desktop: checks the Redis answers, then hands every study started from now on to its workers,
   * with the decoded images published through Redis when `publishData` (the app's default: the
   * workers are other machines, which rarely have the user's folder at the same path).
   */
  async connect(url: string, { publishData = false }: { publishData?: boolean } = {}): Promise<{ queue: string }> {
    if (this.options.mode === 'served') throw new Error(SERVED_REFUSAL);
    const choice = ++this.choices;
    await (this.options.reach ?? reachRedis)(url);
    const queue = redactRedisUrl(url);
    if (choice !== this.choices) throw new Error(`Another choice of where runs train was made while ${queue} was being reached; that one stands.`);
    // queueRunner refuses a URL that cannot work; reachRedis has already parsed it the same way.
    this.target = { url, runner: queueRunner(url, this.options.log, publishData ? { mode: 'publish' } : { mode: 'path' }) };
    return { queue };
  }

  /** Desktop: studies started from now on train in this process; those already running keep their workers. */
  disconnect(): { queue: null } {
    if (this.options.mode === 'served') throw new Error(SERVED_REFUSAL);
    this.choices++;
    this.target = null;
    return { queue: null };
  }
}

/**
 * Why a backbone study is refused while a queue is chosen (workers do not load backbones), and
 * how to train it anyway: in served mode, without --redis; in the app, by choosing this computer.
 */
export function backboneRefusal(choice: QueueChoice, resumeId?: string): string {
  const where = choice.chosenByServer ? 'this server hands its runs to queue workers (--redis)' : 'this app hands its runs to queue workers';
  if (resumeId === undefined) {
    return `Studies on a pretrained backbone train locally only; ${where}.${choice.chosenByServer ? '' : ' Choose "This computer" under "Where runs train" on the Experiment screen, then start it again.'}`;
  }
  return `Experiment ${resumeId} trains on a pretrained backbone, which trains locally only; ${where}. ${
    choice.chosenByServer ? `Resume it from \`losslab resume ${resumeId}\` without --redis.` : 'Choose "This computer" under "Where runs train" on the Experiment screen, then resume it.'
  }`;
}
