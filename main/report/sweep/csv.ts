import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { LoadedSweep } from '../../sweep/load';
import { writeFileAtomic } from '../../util/atomic-write';
import { csvRow } from '../../util/csv';
import { SWEEP_TABLES, sweepTables } from './tables';

/** The sweep's tables as CSV text by file name (sweep-runs.csv, …). */
export function sweepCsvFiles(loaded: LoadedSweep): Record<string, string> {
  const tables = sweepTables(loaded);
  return Object.fromEntries(SWEEP_TABLES.map((t) => [`${t}.csv`, tables[t].map((row) => csvRow(row)).join('\n') + '\n']));
}

/** Into one archive when `outPath` ends in .zip, else as files in the folder `outPath`. Returns the files written. */
export function writeSweepCsv(loaded: LoadedSweep, outPath: string): string[] {
  const files = sweepCsvFiles(loaded);
  if (outPath.toLowerCase().endsWith('.zip')) {
    const entries = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)]));
    writeFileAtomic(outPath, zipSync(entries, { level: 6, mtime: new Date('2000-01-01T00:00:00Z') }));
    return [outPath];
  }
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(outPath, name);
    writeFileAtomic(file, text);
    return file;
  });
}
