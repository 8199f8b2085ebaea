import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { AnalysisService } from './analysis-service';

/**
 * A trained model leaves the store as it is kept there: TensorFlow.js layers format, model.json
 * plus weights.bin, loadable with tf.loadLayersModel. The desktop copies the two files into a
 * new folder the user picked a place for; served mode sends them as one .zip.
 */
export function createModelExport(analysis: Pick<AnalysisService, 'modelFolder'>) {
  return {
    /** Copies the model into a new folder inside `parent` (a folder the user picked in a native dialog); never writes over an existing one. */
    async saveInto(id: string, runId: string, parent: string): Promise<{ path: string; files: string[] }> {
      const model = analysis.modelFolder(id, runId);
      const stat = fs.statSync(parent, { throwIfNoEntry: false });
      if (!stat?.isDirectory()) throw new Error(`${parent} is not a folder. Pick the folder the model should be saved in.`);
      let target = path.join(parent, model.name);
      // A second export of the same run gets its own folder rather than replacing the first.
      for (let n = 2; fs.existsSync(target); n++) target = path.join(parent, `${model.name}-${n}`);
      fs.mkdirSync(target);
      const files = model.files.map((file) => {
        const written = path.join(target, path.basename(file));
        fs.copyFileSync(file, written, fs.constants.COPYFILE_EXCL);
        return written;
      });
      return { path: target, files };
    },

    /** The model as a .zip held in memory (a small CNN's weights are a few hundred kB to a few MB). */
    zip(id: string, runId: string): { bytes: Uint8Array; filename: string } {
      const model = analysis.modelFolder(id, runId);
      const entries = Object.fromEntries(model.files.map((file) => [`${model.name}/${path.basename(file)}`, new Uint8Array(fs.readFileSync(file))]));
      return { bytes: zipSync(entries, { level: 6 }), filename: `${model.name}.zip` };
    },
  };
}

export type ModelExport = ReturnType<typeof createModelExport>;
