// The desktop app's entry point, and the only file that loads the real 'electron' module.
import path from 'node:path';
import * as electron from 'electron';
import { startApp } from './app';

const packageRoot = path.join(__dirname, '..', '..');
startApp(electron, {
  electronDir: __dirname,
  rendererDir: path.join(packageRoot, 'dist', 'renderer'),
  icon: path.join(packageRoot, 'assets', 'icon.png'),
});
