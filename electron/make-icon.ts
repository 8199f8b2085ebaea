/**
 * Draws assets/icon.png (512×512), the app icon electron-builder turns into each platform's
 * format: a long-tailed bar chart — class counts falling off from head to tail — on a rounded
 * tile. Run with `node dist/electron/make-icon.js` after `npm run build:electron`.
 */
import path from 'node:path';
import sharp from 'sharp';

const SIZE = 512;

export function iconSvg(): string {
  const bars = 7;
  const left = 96;
  const bottom = 400;
  const width = 320 / bars;
  const rects = Array.from({ length: bars }, (_, i) => {
    // Exponential decay with ratio 10 head to tail: the imbalance the app is about.
    const height = 280 * Math.pow(10, -i / (bars - 1));
    const x = left + i * width + 4;
    const colour = i === 0 ? '#ffb347' : '#f4f7ff';
    return `<rect x="${x.toFixed(1)}" y="${(bottom - height).toFixed(1)}" width="${(width - 8).toFixed(1)}" height="${height.toFixed(1)}" rx="6" fill="${colour}"/>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">
  <defs><linearGradient id="tile" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#3552c8"/><stop offset="1" stop-color="#16215e"/></linearGradient></defs>
  <rect x="16" y="16" width="480" height="480" rx="104" fill="url(#tile)"/>
  ${rects}
  <rect x="88" y="406" width="336" height="10" rx="5" fill="#f4f7ff" opacity="0.6"/>
</svg>`;
}

export async function writeIcon(file: string): Promise<void> {
  await sharp(Buffer.from(iconSvg())).png().toFile(file);
}

if (require.main === module) {
  const target = path.join(__dirname, '..', '..', 'assets', 'icon.png');
  writeIcon(target).then(() => process.stdout.write(`wrote ${target}\n`));
}
