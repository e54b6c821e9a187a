import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';

/** Files scripts/build-web.ts writes into dist/web (built by `npm run build`, which `npm ci` runs). */
export function webAsset(name: 'index.html' | 'report-runtime.js'): string {
  const file = fileURLToPath(new URL(`../../web/${name}`, import.meta.url));
  if (!fs.existsSync(file)) {
    throw new UsageError('web assets', file, 'a built web bundle', 'Run `npm run build` (it runs `node dist/scripts/build-web.js` after tsc).');
  }
  return fs.readFileSync(file, 'utf8');
}
