import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentResults } from '../results/types';

/** Raw logits of one run as logits.json stores them (row-major, classes wide). */
export interface RunLogits {
  test: Float32Array;
  testLast: Float32Array;
  val: Float32Array;
}

export interface LoadedExperiment {
  dir: string;
  results: ExperimentResults;
  /** By run id; empty when logits.json is missing (older or damaged folders). */
  logits: Map<string, RunLogits>;
  valItems: { file: string; classIndex: number }[];
  /** Why logits are missing, when they are. */
  logitsProblem: string | null;
}

interface LogitsFile {
  classes: string[];
  testItems: { file: string; classIndex: number }[];
  valItems: { file: string; classIndex: number }[];
  runs: Record<string, { test: number[]; testLast: number[]; val: number[] }>;
}

/**
 * Reads results.json (required) and logits.json (optional: without it the report still has
 * every per-run metric, but no paired tests, temperature scaling or post-hoc rows).
 * Logits whose shape disagrees with results.json are dropped with a reason rather than
 * trusted, since every paired statistic assumes row i is test item i.
 */
export function loadExperiment(dir: string): LoadedExperiment {
  const resultsFile = path.join(dir, 'results.json');
  let text: string;
  try {
    text = fs.readFileSync(resultsFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`${dir} holds no results.json: not a finished LossLab experiment folder (run \`losslab list\` to find one, or \`losslab resume\` an interrupted one).`);
    }
    throw new Error(`Cannot read ${resultsFile}: ${code ?? (error as Error).message}`);
  }
  let results: ExperimentResults;
  try {
    results = JSON.parse(text) as ExperimentResults;
  } catch (error) {
    throw new Error(`${resultsFile} is damaged (not valid JSON: ${(error as Error).message}).`);
  }
  if (!Array.isArray(results.runs) || !Array.isArray(results.classes) || !Array.isArray(results.testItems)) {
    throw new Error(`${resultsFile} is not a LossLab results file (runs, classes or testItems missing).`);
  }
  const { logits, valItems, problem } = readLogits(path.join(dir, 'logits.json'), results);
  return { dir, results, logits, valItems, logitsProblem: problem };
}

function readLogits(file: string, results: ExperimentResults): { logits: Map<string, RunLogits>; valItems: LogitsFile['valItems']; problem: string | null } {
  const none = (problem: string) => ({ logits: new Map<string, RunLogits>(), valItems: [], problem });
  let parsed: LogitsFile;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as LogitsFile;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return none(code === 'ENOENT' ? 'logits.json is missing' : `logits.json is unreadable (${code ?? (error as Error).message})`);
  }
  const C = results.classes.length;
  const nTest = results.testItems.length;
  const valItems = Array.isArray(parsed.valItems) ? parsed.valItems : [];
  if (!Array.isArray(parsed.testItems) || parsed.testItems.length !== nTest || parsed.testItems.some((t, i) => t.file !== results.testItems[i]!.file)) {
    return none('logits.json lists other test images than results.json');
  }
  const logits = new Map<string, RunLogits>();
  const bad: string[] = [];
  for (const [runId, run] of Object.entries(parsed.runs ?? {})) {
    if (run.test?.length !== nTest * C || run.testLast?.length !== nTest * C || run.val?.length !== valItems.length * C) {
      bad.push(runId);
      continue;
    }
    logits.set(runId, { test: Float32Array.from(run.test), testLast: Float32Array.from(run.testLast), val: Float32Array.from(run.val) });
  }
  return { logits, valItems, problem: bad.length > 0 ? `logits of ${bad.join(', ')} have the wrong shape and were ignored` : null };
}
