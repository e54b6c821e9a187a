/**
 * Copies the Hugging Face model configs from the reference data into the project (data/models/), and checks
 * that every one of them parses or is refused with a UsageError.
 *   npx tsc -p . && node dist/scripts/copy-models.js [--data DIR] [--check]
 * DIR defaults to ../shared/data beside the project. Copies every `*_config.json`, the ModelOpt side files
 * `*_hf_quant_config.json` included (the parser reads them to learn that an NVFP4 checkpoint is fp4).
 * --check writes nothing and exits 1 when data/models differs from the source.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUsageError } from '../src/core/errors.js';
import { parseConfigText } from '../src/models/config-text.js';
import { parseHfConfig } from '../src/models/parse-config.js';

// dist/scripts/copy-models.js -> project root is two levels up.
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

function main(argv: readonly string[]): number {
  const dataIdx = argv.indexOf('--data');
  const dataDir = dataIdx >= 0 ? argv[dataIdx + 1] : join(projectRoot, '..', 'shared', 'data');
  if (dataDir === undefined) {
    console.error('--data needs a directory');
    return 2;
  }
  const check = argv.includes('--check');
  const src = join(dataDir, 'models');
  const dst = join(projectRoot, 'data', 'models');
  const files = readdirSync(src).filter((f) => f.endsWith('_config.json')).sort();
  if (!check) mkdirSync(dst, { recursive: true });
  let stale = 0;
  let copied = 0;
  for (const f of files) {
    const from = join(src, f);
    const to = join(dst, f);
    const same = existsSync(to) && readFileSync(to).equals(readFileSync(from));
    if (same) continue;
    if (check) {
      console.error(`out of date: data/models/${f}`);
      stale++;
    } else {
      copyFileSync(from, to);
      chmodSync(to, 0o644); // the reference copies are read-only; the project's are ordinary files
      copied++;
    }
  }

  let parsed = 0;
  const refused: string[] = [];
  for (const f of files.filter((x) => !x.endsWith('_hf_quant_config.json'))) {
    const id = f.slice(0, -'_config.json'.length).replace('--', '/');
    const quantFile = join(src, f.replace(/_config\.json$/, '_hf_quant_config.json'));
    try {
      const quant = existsSync(quantFile) ? parseConfigText(readFileSync(quantFile, 'utf8'), id) : undefined;
      parseHfConfig(parseConfigText(readFileSync(join(src, f), 'utf8'), id), id, quant);
      parsed++;
    } catch (e) {
      if (!isUsageError(e)) throw e;
      refused.push(`  ${e.message}`);
    }
  }
  const done = check ? `${files.length} files checked, ${stale} out of date` : `${files.length} files, ${copied} copied to data/models`;
  console.log(`${done}; ${parsed} configs parse, ${refused.length} refused:`);
  for (const r of refused) console.log(r);
  return stale > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
