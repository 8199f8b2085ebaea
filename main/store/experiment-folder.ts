import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EpochRecord, RunOutcome, SavedWeights } from '../engine/types';
import type { ExperimentConfig } from '../experiment/config';
import type { ExperimentResults } from '../results/types';
import { describeWriteError, writeFileAtomic } from '../util/atomic-write';

/**
 * One experiment on disk. Layout:
 *   experiment.json        configuration, run list, and the process that owns it while running
 *   claim.lock             exists only while a process is taking the experiment over (resume)
 *   runs/<index>/log.jsonl append-only epoch records
 *   runs/<index>/checkpoint.*  the last completed epoch (see engine/checkpoint.ts)
 *   runs/<index>/outcome.json  the finished run (logits, history, timings)
 *   runs/<index>/model/    the selected weights in TensorFlow.js's layers format
 *   results.json, metrics.csv, predictions.csv, logits.json  once every run has ended
 */

export const EXPERIMENT_FORMAT_VERSION = 1;

export interface ExperimentRecord {
  formatVersion: number;
  id: string;
  name?: string;
  createdAt: string;
  config: ExperimentConfig;
  runs: { index: number; runId: string }[];
  /** Fingerprint of the dataset as first loaded; a resume refuses a dataset that changed since. */
  datasetFingerprint?: string;
  /** The process training it, or null once that process has finished with it. */
  owner: { pid: number; host: string } | null;
}

export type ExperimentStatus = 'running' | 'done' | 'interrupted';

interface StoredOutcome extends Omit<RunOutcome, 'testLogits' | 'testLogitsLast' | 'valLogits' | 'weights'> {
  testLogits: number[];
  testLogitsLast: number[];
  valLogits: number[];
}

export class ExperimentFolder {
  constructor(readonly dir: string) {}

  get recordFile(): string {
    return path.join(this.dir, 'experiment.json');
  }

  get resultsFile(): string {
    return path.join(this.dir, 'results.json');
  }

  runDir(index: number): string {
    return path.join(this.dir, 'runs', String(index));
  }

  exists(): boolean {
    return fs.existsSync(this.recordFile);
  }

  /** Writes the record with this process as its owner, or with no owner once training has ended. */
  writeRecord(record: Omit<ExperimentRecord, 'formatVersion' | 'owner'>, owned = true): ExperimentRecord {
    const owner = owned ? { pid: process.pid, host: os.hostname() } : null;
    if (owned) ownedHere.add(this.dir);
    else ownedHere.delete(this.dir);
    const full: ExperimentRecord = { ...record, formatVersion: EXPERIMENT_FORMAT_VERSION, owner };
    writeFileAtomic(this.recordFile, JSON.stringify(full, null, 2) + '\n');
    return full;
  }

  /** Marks this process as the owner (on resume). */
  claim(): ExperimentRecord {
    return this.writeRecord(this.readRecord());
  }

  /**
   * Takes the experiment over for a resume: `check` sees its status and throws to refuse,
   * then this process becomes the owner. A lock file created exclusively guards the check and
   * the claim together, so two processes resuming at the same moment cannot both pass the
   * check; the loser is told who is taking it.
   */
  claimExclusively(check: (status: ExperimentStatus) => void): ExperimentRecord {
    this.takeClaimLock();
    try {
      check(this.status());
      return this.claim();
    } finally {
      fs.rmSync(this.claimLockFile, { force: true });
    }
  }

  get claimLockFile(): string {
    return path.join(this.dir, 'claim.lock');
  }

  private takeClaimLock(): void {
    const me = { pid: process.pid, host: os.hostname() };
    // Two tries: the second follows the removal of a lock its holder left behind by dying.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(this.claimLockFile, JSON.stringify(me), { flag: 'wx' });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw describeWriteError(this.claimLockFile, error);
      }
      const holder = readLockHolder(this.claimLockFile);
      if (holder && holder.host !== me.host) {
        throw new Error(`Experiment ${path.basename(this.dir)} is being taken over by a process on ${holder.host}. If nothing there is resuming it, delete ${this.claimLockFile} and try again.`);
      }
      if (holder && holder.pid !== me.pid && processAlive(holder.pid)) {
        throw new Error(`Experiment ${path.basename(this.dir)} is being resumed by process ${holder.pid} right now; wait for it or stop it first.`);
      }
      // Left by a process that died while claiming (or torn): take it over.
      fs.rmSync(this.claimLockFile, { force: true });
    }
    throw new Error(`Could not lock ${this.claimLockFile}: another process keeps creating it. Try again.`);
  }

  release(): void {
    this.writeRecord(this.readRecord(), false);
  }

  readRecord(): ExperimentRecord {
    let text: string;
    try {
      text = fs.readFileSync(this.recordFile, 'utf8');
    } catch {
      throw new Error(`No experiment in ${this.dir} (experiment.json is missing). Check the id or path with \`losslab list\`.`);
    }
    try {
      return JSON.parse(text) as ExperimentRecord;
    } catch {
      throw new Error(`The experiment record ${this.recordFile} is damaged (not valid JSON); the experiment cannot be resumed.`);
    }
  }

  /**
   * 'done' once results exist for every run; 'running' while its owner process lives;
   * otherwise 'interrupted' (crashed, killed, or cancelled with runs left), which resume continues.
   */
  status(): ExperimentStatus {
    const { owner } = this.readRecord();
    if (owner && owner.host === os.hostname() && ownerAlive(owner.pid, this.dir)) return 'running';
    if (fs.existsSync(this.resultsFile) && this.readResults().runs.every((run) => run.status === 'done')) return 'done';
    return 'interrupted';
  }

  readResults(): ExperimentResults {
    try {
      return JSON.parse(fs.readFileSync(this.resultsFile, 'utf8')) as ExperimentResults;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`Experiment ${path.basename(this.dir)} has no results yet (status: ${this.status()}). Resume it with \`losslab resume ${path.basename(this.dir)}\`.`);
      }
      throw new Error(`The results file ${this.resultsFile} is damaged: ${(error as Error).message}`);
    }
  }

  appendEpoch(index: number, record: EpochRecord): void {
    const file = path.join(this.runDir(index), 'log.jsonl');
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fd = fs.openSync(file, 'a');
      try {
        fs.writeSync(fd, `${JSON.stringify(record)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      throw describeWriteError(file, error);
    }
  }

  /** Epoch records of a run; a torn last line (a crash mid-write) is ignored. */
  readEpochLog(index: number): EpochRecord[] {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.runDir(index), 'log.jsonl'), 'utf8');
    } catch {
      return [];
    }
    const records: EpochRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as EpochRecord);
      } catch {
        break;
      }
    }
    return records;
  }

  saveOutcome(index: number, outcome: RunOutcome): void {
    const { weights, testLogits, testLogitsLast, valLogits, ...rest } = outcome;
    const stored: StoredOutcome = { ...rest, testLogits: Array.from(testLogits), testLogitsLast: Array.from(testLogitsLast), valLogits: Array.from(valLogits) };
    if (weights) this.saveWeights(index, weights);
    writeFileAtomic(path.join(this.runDir(index), 'outcome.json'), JSON.stringify(stored));
  }

  /** Runs with a saved outcome, counted without reading them (for listings). */
  finishedRunCount(): number {
    return this.readRecord().runs.filter(({ index }) => fs.existsSync(path.join(this.runDir(index), 'outcome.json'))).length;
  }

  /** Finished runs by index; an unreadable outcome counts as unfinished, so the run is trained again. */
  readOutcomes(): Map<number, RunOutcome> {
    const outcomes = new Map<number, RunOutcome>();
    for (const { index } of this.readRecord().runs) {
      try {
        const stored = JSON.parse(fs.readFileSync(path.join(this.runDir(index), 'outcome.json'), 'utf8')) as StoredOutcome;
        outcomes.set(index, {
          ...stored,
          testLogits: Float32Array.from(stored.testLogits),
          testLogitsLast: Float32Array.from(stored.testLogitsLast),
          valLogits: Float32Array.from(stored.valLogits),
        });
      } catch {
        // missing or damaged: not finished
      }
    }
    return outcomes;
  }

  /** TensorFlow.js layers format: model.json (topology + manifest) and one weights file, loadable with tf.loadLayersModel. */
  private saveWeights(index: number, weights: SavedWeights): void {
    const dir = path.join(this.runDir(index), 'model');
    writeFileAtomic(path.join(dir, 'weights.bin'), new Uint8Array(weights.weightData));
    const manifest = {
      format: 'layers-model',
      generatedBy: 'LossLab',
      modelTopology: weights.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: weights.weightSpecs }],
    };
    writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(manifest));
  }
}

/** Folders this process is training right now: a record naming our own pid is ours only if listed here. */
const ownedHere = new Set<string>();

/**
 * Whether the recorded owner still trains the experiment. Our own pid counts only for folders
 * this process owns: after a restart a container's process often gets the same pid (1) again.
 */
function ownerAlive(pid: number, dir: string): boolean {
  if (pid === process.pid) return ownedHere.has(dir);
  return processAlive(pid);
}

function readLockHolder(file: string): { pid: number; host: string } | null {
  try {
    const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? { pid: holder.pid, host: holder.host } : null;
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
