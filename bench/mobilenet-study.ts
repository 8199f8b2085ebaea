/**
 * The frozen-backbone study end to end, from cold: 5 losses × 3 seeds with a frozen MobileNet
 * v2 (α 1.0, random weights, saved as a TF.js layers model with a 1000-way classifier on top, as
 * a downloaded one would be) on 2,000 JPEG photos at 224 px, through `losslab run` with empty
 * pixel and feature caches: decode, features, and 15 heads. Then the same study again, warm
 * (both caches filled), for the per-study cost once features exist. Reports, asserts nothing.
 *
 *   node dist/bench/mobilenet-study.js [--images 2000] [--classes 5] [--photo 1024x768] [--epochs 20] [--workers 0]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tfl from '@tensorflow/tfjs-layers';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers/dist/engine/topology';
import { selectBackend } from '../main/engine/backends/select-backend';
import { saveLayersModel } from '../main/engine/backbone/test-support';
import { createRng } from '../main/util/random';
import { mobilenetV2 } from './mobilenet-models';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

/** Photos whose class shows as a colour cast over smooth random blobs: a learnable, photo-sized JPEG. */
async function writePhotos(dir: string, images: number, classes: number, width: number, height: number): Promise<void> {
  const rng = createRng(11);
  for (let i = 0; i < images; i++) {
    const label = i % classes;
    const classDir = path.join(dir, `class-${label}`);
    fs.mkdirSync(classDir, { recursive: true });
    const w = 16;
    const h = 12;
    const raw = Buffer.alloc(w * h * 3);
    for (let p = 0; p < w * h; p++) {
      for (let c = 0; c < 3; c++) raw[p * 3 + c] = Math.round(rng() * 160 + (c === label % 3 ? 60 + 20 * Math.floor(label / 3) : 0));
    }
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
      .resize(width, height, { kernel: 'cubic' })
      .jpeg({ quality: 85 })
      .toFile(path.join(classDir, `${String(i).padStart(5, '0')}.jpg`));
  }
}

async function writeBackbone(dir: string): Promise<string> {
  await selectBackend('wasm');
  const body = mobilenetV2();
  const input = body.inputs[0]!;
  const features = body.outputs[0]!;
  const logits = tfl.layers.dense({ units: 1000, activation: 'softmax', name: 'classifier' }).apply(features) as SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: logits });
  const saved = await saveLayersModel(model, dir);
  model.dispose();
  return saved;
}

function study(label: string, args: string[], env: NodeJS.ProcessEnv): { label: string; seconds: number; ok: boolean; tail: string } {
  const t0 = performance.now();
  const cli = path.resolve(__dirname, '../../bin/losslab.js');
  const result = spawnSync(process.execPath, [cli, 'run', ...args], { encoding: 'utf8', env, timeout: 60 * 60_000, maxBuffer: 64 * 2 ** 20 });
  const seconds = (performance.now() - t0) / 1000;
  const text = `${result.stdout}\n${result.stderr}`.trim().split('\n');
  return { label, seconds: Number(seconds.toFixed(1)), ok: result.status === 0, tail: text.slice(-4).join('\n') };
}

async function main(): Promise<void> {
  const images = Number(arg('images', '2000'));
  const classes = Number(arg('classes', '5'));
  const [width, height] = arg('photo', '1024x768').split('x').map(Number) as [number, number];
  const epochs = arg('epochs', '20');
  const workers = arg('workers', '0');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-mobilenet-study-'));
  const t0 = performance.now();
  await writePhotos(path.join(root, 'photos'), images, classes, width, height);
  const backbone = await writeBackbone(path.join(root, 'mobilenet-v2'));
  const preparedSeconds = (performance.now() - t0) / 1000;
  const env = { ...process.env, LOSSLAB_CACHE_DIR: path.join(root, 'cache'), LOSSLAB_DATA_DIR: path.join(root, 'store') };
  const common = ['--data', path.join(root, 'photos'), '--backbone', backbone, '--image-size', '224', '--losses', 'ce,focal,cb-ce,ldam,balanced-softmax', '--seeds', '1-3', '--epochs', epochs, '--workers', workers];
  const cold = study('cold: decode, features, 15 heads', [...common, '--out', path.join(root, 'cold')], env);
  const warm = study('warm: pixels and features cached, 15 heads', [...common, '--out', path.join(root, 'warm')], env);
  console.log(
    JSON.stringify(
      {
        benchmark: 'mobilenet-study',
        study: `5 losses × 3 seeds, frozen MobileNet v2 1.0 (random weights), ${images} JPEG photos ${width}×${height} in ${classes} classes at 224 px, ${epochs} epochs per head`,
        machine: { cpus: os.availableParallelism(), loadAverage1m: Number((os.loadavg()[0] ?? 0).toFixed(2)), node: process.version },
        preparedSeconds: Number(preparedSeconds.toFixed(1)),
        runs: [cold, warm],
        target: 'cold under 180 s on 2 cores (issue #11)',
      },
      null,
      2,
    ),
  );
  fs.rmSync(root, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
