import type { LossInfo, ParsedRequest, Responses } from '../api/contract';
import { listLosses } from '../losses/registry';
import { tagsOf } from '../losses/tags';
import { listMethods } from '../methods/catalogue';
import type { LossDefinition } from '../losses/types';

/** A catalogue entry as plain data: functions (the loss itself, hooks) stay in the main process. */
export function lossInfo(definition: LossDefinition): LossInfo {
  const { create: _create, head, ...described } = definition;
  // A JSON round trip drops any further function-valued fields a catalogue entry carries (hooks).
  const info = JSON.parse(JSON.stringify(described)) as LossInfo;
  if (head) info.head = { cosineClassifier: head.cosineClassifier ?? false, note: head.note };
  info.tags = tagsOf(definition.id);
  return info;
}

export function createCatalogueService() {
  return {
    async losses(_request: ParsedRequest<'losses.list'>): Promise<Responses['losses.list']> {
      return listLosses().map(lossInfo);
    },
    async methods(_request: ParsedRequest<'methods.list'>): Promise<Responses['methods.list']> {
      return listMethods();
    },
    async backends(_request: ParsedRequest<'backends.list'>): Promise<Responses['backends.list']> {
      // Loaded on first use: probing backends pulls in TensorFlow.js, which the app's start-up does not need.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { listBackends } = require('../engine/backends/select-backend') as typeof import('../engine/backends/select-backend');
      return await listBackends();
    },
    doctor: doctorReporter(),
  };
}

/**
 * The doctor's report, made once at a time: it trains on every backend in turn, so a second
 * request while one runs (another tab, a double click) gets the same report, not a second load.
 */
function doctorReporter(): (request: ParsedRequest<'doctor.report'>) => Promise<Responses['doctor.report']> {
  let running: Promise<Responses['doctor.report']> | null = null;
  return (request) => {
    // Loaded on first use, like the backends: the report pulls in TensorFlow.js via its probes' threads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildDoctorReport } = require('../doctor/report') as typeof import('../doctor/report');
    running ??= buildDoctorReport({ seconds: request.seconds }).finally(() => {
      running = null;
    });
    return running;
  };
}
