import { UsageError } from '../core/errors.js';

/**
 * Parse the text of a config.json. Python's json module writes `Infinity`, `-Infinity` and `NaN`, which
 * JSON.parse rejects (Nemotron-3 configs carry `"time_step_limit": [0.0, Infinity]`), so those bare tokens are
 * rewritten first: ±Infinity to ±1e999 (which parses to ±Infinity) and NaN to null. Strings are left alone.
 */
export function parseConfigText(text: string, id: string): unknown {
  try {
    return JSON.parse(rewritePythonJsonTokens(text));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(`${id} config.json`, `${text.slice(0, 40)}…`, 'valid JSON', msg);
  }
}

function rewritePythonJsonTokens(text: string): string {
  if (!/Infinity|NaN/.test(text)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // Copy a string literal verbatim, honouring escapes.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (text.startsWith('Infinity', i)) {
      out += '1e999';
      i += 8;
    } else if (text.startsWith('NaN', i)) {
      out += 'null';
      i += 3;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}
