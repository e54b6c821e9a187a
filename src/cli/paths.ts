import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

/** The project's data folder (catalog, model configs, traces), found from this file whether run from src or dist. */
export function dataDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'data');
    if (fs.existsSync(path.join(candidate, 'models'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('phasewise data folder not found next to the installed code');
}
