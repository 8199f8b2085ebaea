import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../dataset/sample';

function versionOf(name: string): string | null {
  try {
    const manifest = require.resolve(`${name}/package.json`, { paths: [packageRoot()] });
    return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Versions that decide the numbers, recorded in every result for reproducibility. */
export function softwareVersions(): Record<string, string> {
  const versions: Record<string, string> = { node: process.versions.node, platform: `${process.platform}-${process.arch}` };
  const own = versionOf('losslab') ?? (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  versions.losslab = own;
  for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'sharp']) {
    const version = versionOf(name);
    if (version) versions[name] = version;
  }
  return versions;
}
