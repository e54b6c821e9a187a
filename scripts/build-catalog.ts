/**
 * Regenerates src/hardware/catalog-data.ts from the reference data (plus the project's
 * data/hardware/accelerators-extra.json).
 *   npx tsc -p . && node dist/scripts/build-catalog.js [--data DIR] [--check]
 * DIR defaults to ../shared/data beside the project. --check writes nothing and exits 1 if the committed
 * module is out of date.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCatalog } from '../src/hardware/build.js';
import { renderCatalogModule } from '../src/hardware/render.js';

// dist/scripts/build-catalog.js -> project root is two levels up.
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

function main(argv: readonly string[]): number {
  const dataIdx = argv.indexOf('--data');
  const dataDir = dataIdx >= 0 ? argv[dataIdx + 1] : join(projectRoot, '..', 'shared', 'data');
  if (dataDir === undefined) {
    console.error('--data needs a directory');
    return 2;
  }
  const accelerators: unknown = JSON.parse(readFileSync(join(dataDir, 'hardware', 'accelerators.json'), 'utf8'));
  const systemsDir = join(dataDir, 'calibration', 'aiconfigurator', 'systems');
  const yamlTexts: Record<string, string> = {};
  for (const file of readdirSync(systemsDir)) {
    if (file.endsWith('.yaml')) yamlTexts[file] = readFileSync(join(systemsDir, file), 'utf8');
  }
  const extra: unknown = JSON.parse(readFileSync(join(projectRoot, 'data', 'hardware', 'accelerators-extra.json'), 'utf8'));
  const text = renderCatalogModule(buildCatalog(accelerators, yamlTexts, extra));
  const out = join(projectRoot, 'src', 'hardware', 'catalog-data.ts');
  if (argv.includes('--check')) {
    const current = readFileSync(out, 'utf8');
    if (current !== text) {
      console.error(`${out} is out of date; run node dist/scripts/build-catalog.js`);
      return 1;
    }
    console.log(`${out} is up to date`);
    return 0;
  }
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
