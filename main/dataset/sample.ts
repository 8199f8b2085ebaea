/**
 * Where the built-in sample dataset lives. It ships in the package (assets/sample/digits), and
 * this module may run from main/ (tests via ts), dist/main/ (the CLI) or node_modules/losslab
 * (an installed copy), so the package root is found by walking up to LossLab's package.json
 * rather than by a fixed number of "..".
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const SAMPLE_DATASET_NAME = 'digits';

function isLossLabRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'losslab';
  } catch {
    return false;
  }
}

/** The package root (the folder holding LossLab's package.json). */
export function packageRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    if (isLossLabRoot(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find LossLab's package.json above ${from}; the installation is incomplete.`);
    dir = parent;
  }
}

/** Absolute path of the built-in sample dataset: 10 digit classes, real MNIST images (see assets/sample/README.md). */
export function sampleDatasetPath(): string {
  return path.join(packageRoot(), 'assets', 'sample', SAMPLE_DATASET_NAME);
}
