import { spawnSync } from 'node:child_process';

/**
 * The Python that runs the PyTorch side of a benchmark. Debian's /usr/bin/python3 (with
 * python3-torch) is where CI and most Linux boxes have torch; a GPU box often has CUDA torch
 * only in a virtual environment's `python3` on PATH. LOSSLAB_PYTHON names one outright.
 */
const CANDIDATES = (): string[] => [process.env.LOSSLAB_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));

function imports(python: string, check: string): boolean {
  return spawnSync(python, ['-c', check], { encoding: 'utf8', timeout: 120_000 }).status === 0;
}

/** The first candidate whose torch imports (and, with `cuda`, sees a CUDA device), or null. */
export function findTorchPython(options: { cuda?: boolean } = {}): string | null {
  const check = options.cuda ? 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' : 'import torch';
  return CANDIDATES().find((python) => imports(python, check)) ?? null;
}

/** What to say in a report when no candidate has torch. */
export function noTorchReason(options: { cuda?: boolean } = {}): string {
  const what = options.cuda ? 'torch with CUDA (torch.cuda.is_available())' : 'torch';
  return `no Python with ${what} found (tried ${CANDIDATES().join(', ')}; set LOSSLAB_PYTHON to choose one; Debian: apt-get install python3-torch)`;
}
