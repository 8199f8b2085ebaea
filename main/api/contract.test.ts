import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng, randomInt, type Rng } from '../util/random';
import { ApiValidationError, CHANNELS, parseRequest, requestSchemas, type Channel, type Request } from './contract';

/** One valid request per channel; Record<Channel, …> makes the compiler demand a new channel here. */
const VALID: { [C in Channel]: Request<C> } = {
  'losses.list': {},
  'methods.list': {},
  'backends.list': {},
  'doctor.report': { seconds: 5 },
  'models.describe': { model: { family: 'resnet', depth: 20 }, imageSize: 32, channels: 3, numClasses: 10 },
  'dataset.samplePath': {},
  'dataset.open': { path: '/data/digits', imageSize: 28, resize: 'squash', colorMode: 'grayscale' },
  'dataset.previewImbalance': { path: '/data/digits', testFraction: 0.2, valFraction: 0.1, imbalance: { kind: 'exp', ratio: 10 }, splitSeed: 3 },
  'experiment.start': { config: { data: '/data/digits', losses: [{ id: 'ce' }, { id: 'focal', params: { gamma: 2 } }], imbalance: { kind: 'step', ratio: 5 } } },
  'sweep.plan': { config: { data: '/data/digits', losses: [{ id: 'ce' }, { id: 'focal' }], sweep: { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 10 }], param: { loss: 'focal', key: 'gamma', values: [0.5, 2] } } } },
  'sweep.start': { config: { data: '/data/digits', losses: [{ id: 'ce' }], sweep: { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 10 }] } }, confirmed: true },
  'experiment.cancel': { id: '2026-01-01T00-00-00Z-abcd', runIndex: 1 },
  'experiment.resume': { id: 'abc' },
  'experiments.list': {},
  'experiments.get': { id: 'abc' },
  'experiments.delete': { id: 'abc' },
  'experiments.cellImages': { id: 'abc', runId: 'ce#seed1', trueClass: 1, predictedClass: 2, limit: 10 },
  'experiments.export': { id: 'abc', format: 'csv', path: '/tmp/out.csv' },
  'experiments.analysis': { id: 'abc', baseline: 'focal(gamma=1)' },
  'experiments.predictions': { id: 'abc', seed: 2, offset: 24, limit: 24, filter: 'disagree', trueClass: 1 },
  'experiments.running': {},
  'queue.workers': {},
  'queue.connect': { url: 'redis://:pw@redis.lab:6379/2' },
  'queue.disconnect': {},
  'sweeps.list': {},
  'app.info': {},
  'fs.browse': { path: '/srv/data' },
  'dialog.openFolder': {},
  'dialog.saveExport': { id: 'abc', format: 'html' },
  'dialog.saveModel': { id: 'abc', runId: 'ce#seed1' },
};

test('every channel accepts its valid example and fills defaults', () => {
  for (const channel of CHANNELS) {
    assert.doesNotThrow(() => parseRequest(channel, VALID[channel]), channel);
  }
  const open = parseRequest<'dataset.open'>('dataset.open', { path: '/x' });
  assert.equal(open.imageSize, 32);
  assert.equal(open.resize, 'center-crop');
  const start = parseRequest<'experiment.start'>('experiment.start', { config: { data: '/x', losses: [{ id: 'ce' }] } });
  assert.deepEqual(start.config.seeds, [1]);
  assert.deepEqual(CHANNELS.sort(), Object.keys(requestSchemas).sort());
});

test('unknown channels and wrong types are refused with messages that name the problem', () => {
  assert.throws(() => parseRequest('fs.readFile', {}), (e: unknown) => e instanceof ApiValidationError && /Unknown API call "fs.readFile"/.test(e.message));
  assert.throws(() => parseRequest('__proto__', {}), ApiValidationError);
  assert.throws(() => parseRequest('toString', {}), ApiValidationError);
  assert.throws(() => parseRequest({ toString: 5 } as unknown as string, {}), ApiValidationError);
  assert.throws(
    () => parseRequest('experiments.cellImages', { id: 'abc', runId: 'r', trueClass: '1', predictedClass: -1 }),
    (e: unknown) => e instanceof ApiValidationError && /trueClass/.test(e.message) && /predictedClass/.test(e.message),
  );
  assert.throws(() => parseRequest('experiments.get', { id: '../../etc' }), /id/);
  assert.throws(() => parseRequest('dataset.open', { path: '' }), /path/);
});

// ---- fuzzing: garbage in, only ApiValidationError (or a parsed value) out -------------------------

const NASTY_STRINGS = ['', ' ', '..', '../../etc/passwd', '\u0000', 'a'.repeat(5000), '__proto__', 'constructor', '%00', '💥', '\ud800', 'NaN', '1e309', 'ce#seed1'];
const NASTY_NUMBERS = [0, -0, -1, 1, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 1e-320];

/** Values a structured clone (IPC) or JSON (HTTP) can deliver, with the awkward cases overrepresented. */
function garbage(rng: Rng, depth = 0): unknown {
  const pick = randomInt(rng, depth > 3 ? 9 : 14);
  switch (pick) {
    case 0: return undefined;
    case 1: return null;
    case 2: return rng() < 0.5;
    case 3: return NASTY_NUMBERS[randomInt(rng, NASTY_NUMBERS.length)];
    case 4: return (rng() - 0.5) * 10 ** randomInt(rng, 12);
    case 5: return NASTY_STRINGS[randomInt(rng, NASTY_STRINGS.length)];
    case 6: return String.fromCharCode(...Array.from({ length: randomInt(rng, 12) }, () => randomInt(rng, 0xffff)));
    case 7: return BigInt(randomInt(rng, 1000));
    case 8: return [new Date(randomInt(rng, 2 ** 40)), new Uint8Array(randomInt(rng, 8)), new Map([[1, 2]]), new Set([1])][randomInt(rng, 4)];
    case 9:
    case 10: return Array.from({ length: randomInt(rng, 5) }, () => garbage(rng, depth + 1));
    default: {
      const keys = ['path', 'id', 'config', 'data', 'losses', 'kind', 'ratio', 'counts', 'imbalance', 'runIndex', 'format', 'limit', 'trueClass', '__proto__', 'constructor', 'x'];
      const object: Record<string, unknown> = {};
      for (let i = randomInt(rng, 6); i > 0; i--) {
        Object.defineProperty(object, keys[randomInt(rng, keys.length)] as string, { value: garbage(rng, depth + 1), enumerable: true, configurable: true, writable: true });
      }
      return object;
    }
  }
}

/** A valid request with one value somewhere inside replaced by garbage: reaches deep schema paths. */
function mutate(rng: Rng, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || (depth > 0 && rng() < 0.3)) return garbage(rng);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return garbage(rng);
  const key = keys[randomInt(rng, keys.length)] as string;
  if (rng() < 0.15) delete (copy as Record<string, unknown>)[key];
  else (copy as Record<string, unknown>)[key] = mutate(rng, (copy as Record<string, unknown>)[key], depth + 1);
  return copy;
}

test('fuzz: parseRequest never throws anything but ApiValidationError, for every channel', () => {
  const rng = createRng(20261129);
  let accepted = 0;
  let refused = 0;
  for (const channel of CHANNELS) {
    for (let i = 0; i < 600; i++) {
      const payload = i % 2 === 0 ? garbage(rng) : mutate(rng, VALID[channel]);
      try {
        parseRequest(channel, payload);
        accepted++;
      } catch (error) {
        if (!(error instanceof ApiValidationError)) {
          assert.fail(`${channel} threw ${(error as Error)?.name}: ${(error as Error)?.message} for ${String(payload)}`);
        }
        assert.ok(error.message.startsWith(`Invalid request for ${channel}`), error.message);
        refused++;
      }
    }
  }
  for (let i = 0; i < 300; i++) {
    const channel = garbage(rng);
    assert.throws(() => parseRequest(channel as string, {}), (error: unknown) => error instanceof ApiValidationError || CHANNELS.includes(channel as Channel));
  }
  assert.ok(refused > CHANNELS.length * 100, `most garbage is refused (${refused} refused, ${accepted} accepted)`);
});
