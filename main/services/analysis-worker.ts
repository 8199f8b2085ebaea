import { parentPort, workerData } from 'node:worker_threads';
import { analyzeExperimentFolder } from '../analysis/analyze';
import type { ExperimentAnalysis } from '../analysis/types';
import { verdictOf, type Verdict } from '../analysis/verdict';

/**
 * The thread the Results screen's analysis runs in: the paired bootstrap of a large test set
 * takes seconds, which must not stall the main process (IPC, HTTP, training progress). One
 * thread per analysis; it answers once and ends.
 */
export interface AnalysisJob {
  dir: string;
  baseline?: string;
}
export type FromAnalysisWorker = { ok: true; analysis: ExperimentAnalysis; verdict: Verdict } | { ok: false; name: string; message: string };

const port = parentPort;
if (port) {
  const job = workerData as AnalysisJob;
  let answer: FromAnalysisWorker;
  try {
    const analysis = analyzeExperimentFolder(job.dir, job.baseline !== undefined ? { baseline: job.baseline } : {});
    answer = { ok: true, analysis, verdict: verdictOf(analysis) };
  } catch (error) {
    answer = { ok: false, name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(answer);
}
