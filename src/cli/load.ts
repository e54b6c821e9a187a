import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UsageError } from '../core/errors.js';
import { parseConfigText } from '../models/config-text.js';
import { parseHfConfig } from '../models/parse-config.js';
import type { ModelArch } from '../models/types.js';
import { parseTraceCsv } from '../workload/trace.js';
import type { Trace } from '../workload/types.js';
import { dataDir } from './paths.js';

const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** Read a text file the user named; a missing or unreadable file is a usage error, not a stack trace. */
export function readUserFile(file: string, what: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UsageError(what, file, 'a path to an existing, readable file');
  }
  if (!stat.isFile()) throw new UsageError(what, file, 'a path to a file (not a directory)');
  if (stat.size > MAX_FILE_BYTES) throw new UsageError(what, file, `a file under ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
  const buf = fs.readFileSync(file);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  if (text.includes('\uFFFD')) throw new UsageError(what, file, 'a UTF-8 text file');
  return text;
}

/** Write a file the user named (`--out` and the like); a path that cannot be written is a usage error. */
export function writeUserFile(file: string, text: string, what: string, accepted = 'a writable file path'): void {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(what, file, `${accepted} (${(e as Error).message})`);
  }
}

/** Parse YAML or JSON text (JSON is YAML); errors name the file, line and column. */
export function parseStructured(text: string, where: string): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const at = pos ? ` line ${pos.line} column ${pos.col}` : '';
    throw new UsageError(`${where}${at}`, e.message.split('\n')[0], 'valid YAML or JSON');
  }
  return doc.toJS({ maxAliasCount: 100 });
}

export function loadStructuredFile(file: string, what: string): unknown {
  return parseStructured(readUserFile(file, what), file);
}

/** The model ids shipped in data/models (org/name). */
export function builtinModelIds(): string[] {
  const dir = path.join(dataDir(), 'models');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('_config.json') && !f.endsWith('_hf_quant_config.json'))
    .map((f) => f.slice(0, -'_config.json'.length).replace('--', '/'))
    .sort();
}

/**
 * A model by id (`meta-llama/Llama-3.1-70B`, case-insensitive) from the shipped configs, or by path to a
 * config.json or a checkpoint folder holding one.
 */
export function loadModel(idOrPath: string, where = 'model'): ModelArch {
  const looksLikePath = idOrPath.endsWith('.json') || idOrPath.startsWith('.') || idOrPath.startsWith('/') || fs.existsSync(idOrPath);
  if (looksLikePath && fs.existsSync(idOrPath)) {
    const isDir = fs.statSync(idOrPath).isDirectory();
    const file = isDir ? path.join(idOrPath, 'config.json') : idOrPath;
    const quant = readQuantSideFile(file, where);
    return parseHfConfig(parseJsonFile(file, where), idOrPath, quant);
  }
  const ids = builtinModelIds();
  const want = idOrPath.toLowerCase();
  const id = ids.find((m) => m.toLowerCase() === want) ?? ids.find((m) => m.split('/')[1]?.toLowerCase() === want);
  if (!id) {
    const close = ids.filter((m) => m.toLowerCase().includes(want.split('/').pop()!.slice(0, 8))).slice(0, 5);
    throw new UsageError(
      where,
      idOrPath,
      'a model id from `phasewise list models` or a path to a Hugging Face config.json',
      close.length > 0 ? `Did you mean ${close.join(', ')}?` : undefined,
    );
  }
  const file = path.join(dataDir(), 'models', `${id.replace('/', '--')}_config.json`);
  return parseHfConfig(parseJsonFile(file, where), id, readQuantSideFile(file, where));
}

/**
 * NVIDIA ModelOpt checkpoints describe their quantization in a side file: `hf_quant_config.json` beside a
 * `config.json`, or `org--name_hf_quant_config.json` beside `org--name_config.json` in data/models.
 */
function readQuantSideFile(configFile: string, where: string): unknown {
  const dir = path.dirname(configFile);
  const name = path.basename(configFile);
  const sideName = name === 'config.json' ? 'hf_quant_config.json' : name.endsWith('_config.json') ? name.replace(/_config\.json$/, '_hf_quant_config.json') : null;
  if (sideName === null) return undefined;
  const side = path.join(dir, sideName);
  return fs.existsSync(side) ? parseJsonFile(side, where) : undefined;
}

/** Hugging Face configs are Python-written JSON: tolerate its Infinity/NaN tokens. */
function parseJsonFile(file: string, where: string): unknown {
  return parseConfigText(readUserFile(file, where), `${where} (${file})`);
}

export const BUILTIN_TRACES: Readonly<Record<string, string>> = {
  splitwise_conv: 'splitwise_conv.csv',
  splitwise_code: 'splitwise_code.csv',
  arxiv_summarization: 'arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv',
};

/** A trace by built-in name or CSV path. */
export function loadTrace(nameOrPath: string): Trace {
  const builtin = BUILTIN_TRACES[nameOrPath];
  if (builtin) {
    const file = path.join(dataDir(), 'traces', builtin);
    return parseTraceCsv(fs.readFileSync(file, 'utf8'), nameOrPath);
  }
  if (!fs.existsSync(nameOrPath)) {
    throw new UsageError('workload.trace', nameOrPath, `a built-in trace (${Object.keys(BUILTIN_TRACES).join(', ')}) or a path to a CSV file`);
  }
  return parseTraceCsv(readUserFile(nameOrPath, 'workload.trace'), nameOrPath);
}
