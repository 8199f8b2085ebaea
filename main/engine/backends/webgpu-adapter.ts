/**
 * What LossLab knows about a WebGPU adapter and whether 'auto' may train on it. Pure functions
 * of the facts Dawn reports, so the decision is unit-tested with made-up adapters.
 */

/** The parts of GPUAdapterInfo (plus the older adapter-level fallback flag) that LossLab reads. */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /**
   * GPUAdapterInfo.isFallbackAdapter in current Dawn; GPUAdapter.isFallbackAdapter in older
   * builds; undefined where neither exists.
   */
  isFallbackAdapter: boolean | undefined;
}

/**
 * Software rasterisers that present themselves as GPUs. Dawn flags lavapipe as a fallback
 * adapter, but an older Dawn, or a driver that does not say, still names itself here.
 */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i;

export function isSoftwareAdapter(facts: AdapterFacts): boolean {
  if (facts.isFallbackAdapter === true) return true;
  // Dawn reports lavapipe's architecture as 'software'; Vulkan's CPU device type maps there too.
  if (/^(software|cpu)$/i.test(facts.architecture.trim())) return true;
  return SOFTWARE_NAMES.test(`${facts.vendor} ${facts.device} ${facts.description}`);
}

/** One line for BackendInfo.notes and the backend list. */
export function describeAdapter(facts: AdapterFacts): string {
  const name = facts.description || facts.device || facts.vendor || 'unnamed adapter';
  const details = [
    facts.vendor && `vendor ${facts.vendor}`,
    facts.architecture && `architecture ${facts.architecture}`,
    facts.device && facts.device !== name && `device ${facts.device}`,
    isSoftwareAdapter(facts) ? 'software (fallback) adapter' : 'hardware adapter',
  ].filter((d): d is string => typeof d === 'string' && d.length > 0);
  return `"${name}" (${details.join(', ')})`;
}

export type AutoVerdict = { eligible: true } | { eligible: false; reason: string };

/**
 * Whether 'auto' may even try this adapter (it then still has to pass the self-check). A
 * software adapter runs on the CPU, where the wasm backend is about ten times faster for
 * CNN training, so it is only ever used when asked for by name.
 */
export function autoVerdict(facts: AdapterFacts | null): AutoVerdict {
  if (facts === null) return { eligible: false, reason: 'no WebGPU adapter' };
  if (isSoftwareAdapter(facts)) {
    return {
      eligible: false,
      reason: `${describeAdapter(facts)} is a software adapter; 'auto' never chooses one (ask for 'webgpu' by name to use it)`,
    };
  }
  return { eligible: true };
}

/** Reads AdapterFacts from a Dawn adapter, tolerating builds that lack some fields. */
export function adapterFacts(adapter: { info?: Partial<Record<keyof AdapterFacts, unknown>>; isFallbackAdapter?: unknown }): AdapterFacts {
  const info = adapter.info ?? {};
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const flag = typeof info.isFallbackAdapter === 'boolean' ? info.isFallbackAdapter : adapter.isFallbackAdapter;
  return {
    vendor: text(info.vendor),
    architecture: text(info.architecture),
    device: text(info.device),
    description: text(info.description),
    isFallbackAdapter: typeof flag === 'boolean' ? flag : undefined,
  };
}
