import type { ApiHandlers, AppInfo } from '../api/contract';
import { ExperimentStore } from '../store/experiment-store';
import { softwareVersions } from '../util/versions';
import { createAnalysisService } from './analysis-service';
import { createBrowseService } from './browse-service';
import { createCatalogueService } from './catalogue-service';
import { createDatasetService } from './dataset-service';
import { createExperimentService } from './experiment-service';
import { createExportService, type ExportService } from './export-service';
import type { PdfPrinter } from '../report';
import type { RunnerFactory } from '../experiment/run-experiment';
import { FolderAccess } from './folder-access';
import { createHistoryService } from './history-service';
import { createModelService } from './model-service';
import { createModelExport, type ModelExport } from './model-export';
import { createSweepService } from './sweep-service';
import { createQueueService } from './queue-service';
import { QueueChoice } from './queue-choice';
import type { Emit, ImageUrl } from './types';

export interface ServicesOptions {
  /** Where experiments are stored (the ExperimentStore root). */
  dataDir: string;
  /** Decoded-pixel cache; undefined turns caching off. */
  cacheDir: string | undefined;
  emit: Emit;
  mode?: AppInfo['mode'];
  /** Served mode's --root: the folder browser's root and where exports may be written. */
  browseRoot?: string | null;
  /** How the renderer reaches an image file in this mode; served mode's /files route by default. */
  imageUrl?: ImageUrl;
  /** PDF printing for exports (the desktop app passes Electron's). */
  printPdf?: PdfPrinter;
  /**
   * Served mode with --redis: the queue workers that train experiments' runs, given with the
   * Redis they serve (`redisUrl`, so the app can list them: 'queue.workers'). Without them runs
   * train in local worker threads, until the desktop app connects a queue ('queue.connect').
   */
  runner?: RunnerFactory;
  redisUrl?: string;
  /** Where queue news of the desktop's chosen queue goes (runs queued, Redis away for a while). */
  log?: (line: string) => void;
}

export interface Services {
  /** One function per API channel, over already validated requests. */
  handlers: ApiHandlers;
  /** What the renderer may read and write on disk in this session. */
  access: FolderAccess;
  /** Writes an export after a native save dialog approved the target (the desktop's dialog.saveExport). */
  exportTo: ExportService['exportTo'];
  /** Renders a report into a temporary file for served mode's download route. */
  renderForDownload: ExportService['renderForDownload'];
  /** A run's stored model: copied into a folder a native dialog chose (desktop), or zipped for served mode's download route. */
  modelExport: ModelExport;
  /** Resolves once an experiment's results are written (or it failed). */
  settled: (id: string) => Promise<void>;
  /** Cancels running experiments and waits for them to stop. */
  shutdown: () => Promise<void>;
}

/** The served mode's image route; the token travels in a cookie, so <img src> needs nothing else. */
export function servedImageUrl(absolutePath: string): string {
  return `/files?path=${encodeURIComponent(absolutePath)}`;
}

function desktopOnly(what: string): () => Promise<never> {
  return async () => {
    throw new Error(`${what} is only available in the desktop app. In served mode, pick folders with the folder browser; download exports, or save them to a path below the server's --root.`);
  };
}

/** The composition point: every channel of the contract, implemented over plain data. */
export function createServices(options: ServicesOptions): Services {
  const mode = options.mode ?? 'served';
  const browseRoot = options.browseRoot ?? null;
  const imageUrl = options.imageUrl ?? servedImageUrl;
  const access = new FolderAccess(browseRoot);
  const store = new ExperimentStore(options.dataDir);
  const catalogue = createCatalogueService();
  const datasets = createDatasetService({ access, cacheDir: options.cacheDir, emit: options.emit, imageUrl });
  if (options.runner && !options.redisUrl) throw new Error('A queue runner comes with the redisUrl it serves (createServices options).');
  const queueChoice = new QueueChoice({
    mode,
    ...(options.runner && options.redisUrl ? { initial: { url: options.redisUrl, runner: options.runner } } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const experiments = createExperimentService({ access, store, cacheDir: options.cacheDir, emit: options.emit, queue: queueChoice });
  const history = createHistoryService({ store, access, imageUrl, isRunning: experiments.isRunning });
  const exports = createExportService({ store, access, ...(options.printPdf ? { printPdf: options.printPdf } : {}) });
  const browser = createBrowseService(browseRoot);
  const models = createModelService({ access });
  const analysis = createAnalysisService({ store, access, imageUrl });
  const modelExport = createModelExport(analysis);
  const sweeps = createSweepService({ access, storeRoot: store.root, cacheDir: options.cacheDir, emit: options.emit, experiments, queue: queueChoice });
  const queue = createQueueService(queueChoice);

  const handlers: ApiHandlers = {
    'losses.list': catalogue.losses,
    'methods.list': catalogue.methods,
    'backends.list': catalogue.backends,
    'doctor.report': catalogue.doctor,
    'models.describe': models.describe,
    'dataset.samplePath': datasets.samplePath,
    'dataset.open': datasets.open,
    'dataset.previewImbalance': datasets.previewImbalance,
    'sweep.plan': sweeps.plan,
    'sweep.start': sweeps.start,
    'sweeps.list': async () => sweeps.list(),
    'experiment.start': experiments.start,
    'experiment.cancel': experiments.cancel,
    'experiment.resume': experiments.resume,
    'experiments.running': experiments.running,
    'queue.workers': queue.workers,
    'queue.connect': queue.connect,
    'queue.disconnect': queue.disconnect,
    'experiments.list': history.list,
    'experiments.get': history.get,
    'experiments.delete': history.delete,
    'experiments.cellImages': history.cellImages,
    'experiments.export': exports.export,
    'experiments.analysis': analysis.analysis,
    'experiments.predictions': analysis.predictions,
    'fs.browse': browser.browse,
    'app.info': async () => ({
      mode,
      version: softwareVersions().losslab ?? '0.0.0',
      platform: `${process.platform}-${process.arch}`,
      dataDir: options.dataDir,
      browseRoot,
      features: { nativeDialogs: mode === 'desktop', folderBrowser: browseRoot !== null, export: true },
    }),
    'dialog.openFolder': desktopOnly('The "Open folder" dialog'),
    'dialog.saveExport': desktopOnly('The save dialog'),
    'dialog.saveModel': desktopOnly('The folder dialog for saving a model'),
  };
  return {
    handlers,
    access,
    exportTo: exports.exportTo,
    renderForDownload: exports.renderForDownload,
    modelExport,
    settled: experiments.settled,
    shutdown: async () => {
      models.shutdown();
      sweeps.shutdown();
      await experiments.shutdown();
      queue.shutdown();
    },
  };
}
