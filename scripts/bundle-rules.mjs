// What the offline bundle (scripts/bundle.mjs) leaves out of its node_modules, as one pure
// function of a file's path, so the rules are unit-tested without building anything
// (tests/integration/bundle.test.ts). Every rule removes only what Node never loads when
// LossLab runs: LossLab's compiled code requires each dependency by its bare name, so only
// package entry points (package.json "main"/"exports") and what they load are needed.

/** The one platform the bundle targets; Dawn ships every platform's binary in one package. */
export const TARGET_PLATFORM = 'linux-x64';

/** Type-declaration-only packages: nothing in them runs. */
const TYPES_ONLY_PACKAGES = /^(@types\/[^/]+|@webgpu\/types)\//;

/** Folders of tests, docs and examples, at any depth inside a package. */
const NOT_RUNTIME_DIRS = /(^|\/)(tests?|__tests__|spec|examples?|docs?|benchmarks?|\.github)\//;

/** Licence and notice files stay: the bundle redistributes these packages. */
const LICENCE = /(^|\/)(licen[cs]e|copying|notice|authors)([.-][^/]*)?$/i;

/**
 * Why `relPath` (a '/'-separated path inside node_modules, e.g. 'sharp/src/common.cc') is left
 * out of the bundle, or null to keep it. `mains` maps the @tensorflow packages to their
 * package.json "main" (e.g. 'dist/tf-core.node.js'): each ships its code six times over (UMD,
 * minified, ES2017, ESM per file, fesm), and Node loads only the main bundle.
 */
export function pruneReason(relPath, mains = {}) {
  // A nested dependency (node_modules/a/node_modules/b/...) follows the same rules as b.
  const full = relPath.replace(/\\/g, '/');
  const p = full.includes('/node_modules/') ? full.slice(full.lastIndexOf('/node_modules/') + '/node_modules/'.length) : full;
  if (TYPES_ONLY_PACKAGES.test(p)) return 'type declarations only';
  // Command-line launchers of dependencies (symlinks, some dangling once their target is pruned).
  if (/^\.bin\//.test(p)) return "dependencies' command-line launchers";
  if (LICENCE.test(p)) return null;
  if (/\.(map)$/.test(p)) return 'source map';
  if (/\.(d\.)?[mc]?ts$/.test(p)) return 'TypeScript source or declarations';
  if (/\.(md|markdown)$/i.test(p)) return 'documentation';
  if (NOT_RUNTIME_DIRS.test(p)) return 'tests, docs or examples';
  if (/[._-](test|spec)\.[mc]?js$/.test(p)) return 'test';

  const dawn = /^webgpu\/(dist\/([^/]+)\/|build\/)/.exec(p);
  if (dawn) {
    if (dawn[1] === 'build/') return "Dawn's build and release tooling";
    if (dawn[2] !== TARGET_PLATFORM) return `Dawn binary for ${dawn[2]}`;
  }
  if (/^sharp\/(src|install)\//.test(p)) return "sharp's build-from-source files (its binary comes prebuilt)";
  if (/^katex\/src\//.test(p)) return "KaTeX's sources (dist/ is what loads)";
  // LossLab's compiled code is CommonJS: a package's ES-module copy is never loaded.
  if (/^bullmq\/dist\/esm\//.test(p)) return 'ES-module build Node does not load (LossLab requires the CommonJS one)';
  if (/^luxon\/build\/(?!node\/)/.test(p)) return 'ES-module build Node does not load (LossLab requires the CommonJS one)';

  const tfjs = /^(@tensorflow\/[^/]+)\/dist\/(.+)$/.exec(p);
  if (tfjs) {
    const main = mains[tfjs[1]];
    const file = `dist/${tfjs[2]}`;
    if (main === undefined) throw new Error(`no "main" known for ${tfjs[1]}`);
    if (file !== main.replace(/^\.\//, '') && !file.endsWith('.wasm')) return `${tfjs[1]} bundle Node does not load (it loads ${main})`;
  }
  return null;
}
