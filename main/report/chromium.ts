import fs from 'node:fs';
import path from 'node:path';

/** Raised when no Chromium-family browser is available for PDF output; the message says how to get one. */
export class ChromiumNotFoundError extends Error {
  constructor(looked: string[]) {
    super(
      'PDF export needs Chromium, Google Chrome or Microsoft Edge, and none was found ' +
        `(looked at LOSSLAB_CHROMIUM, ${looked.length} usual locations and PATH). Install one — Debian/Ubuntu: \`sudo apt-get install chromium\`; ` +
        'Fedora: `sudo dnf install chromium`; macOS: install Google Chrome; Windows: install Google Chrome or Microsoft Edge — ' +
        'or set LOSSLAB_CHROMIUM to the browser executable. Meanwhile, `--format html` gives the same report, which any browser can print to PDF.',
    );
    this.name = 'ChromiumNotFoundError';
  }
}

function platformCandidates(): string[] {
  if (process.platform === 'darwin') {
    return [
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ];
  }
  if (process.platform === 'win32') {
    const roots = [process.env.PROGRAMFILES, process.env['PROGRAMFILES(X86)'], process.env.LOCALAPPDATA].filter((r): r is string => !!r);
    return roots.flatMap((r) => [path.join(r, 'Google', 'Chrome', 'Application', 'chrome.exe'), path.join(r, 'Chromium', 'Application', 'chrome.exe'), path.join(r, 'Microsoft', 'Edge', 'Application', 'msedge.exe')]);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium', '/usr/bin/microsoft-edge'];
}

const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome', 'msedge'];

function executable(file: string): boolean {
  try {
    fs.accessSync(file, process.platform === 'win32' ? fs.constants.F_OK : fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The browser to print with: LOSSLAB_CHROMIUM, then the usual install locations, then PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env, candidates: readonly string[] = platformCandidates()): string {
  const override = env.LOSSLAB_CHROMIUM;
  if (override) {
    if (executable(override)) return override;
    throw new Error(`LOSSLAB_CHROMIUM is set to ${override}, which is not an executable file.`);
  }
  for (const c of candidates) if (executable(c)) return c;
  const suffix = process.platform === 'win32' ? '.exe' : '';
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of PATH_NAMES) {
      const file = path.join(dir, name + suffix);
      if (executable(file)) return file;
    }
  }
  throw new ChromiumNotFoundError([...candidates]);
}
