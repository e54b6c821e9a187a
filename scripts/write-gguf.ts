/**
 * Writes a GGUF (v3) file of a Llama checkpoint for llama.cpp (see src/engine/gguf.ts).
 *   npx tsc -p . && node dist/scripts/write-gguf.js CHECKPOINT_DIR OUT.gguf [--type f32|q8_0]
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { openCheckpoint } from '../src/engine/checkpoint.js';
import { ggufChunks } from '../src/engine/gguf.js';
import { dirSource } from '../src/server/fs-source.js';

export function writeGguf(dir: string, outPath: string, type: 'f32' | 'q8_0'): void {
  const fd = openSync(outPath, 'w');
  try {
    for (const chunk of ggufChunks(openCheckpoint(dirSource(dir)), type)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

function main(argv: readonly string[]): number {
  const [dir, outPath] = argv;
  const type = argv.includes('--type') ? argv[argv.indexOf('--type') + 1] : 'f32';
  if (!dir || !outPath || (type !== 'f32' && type !== 'q8_0')) {
    console.error('usage: node dist/scripts/write-gguf.js CHECKPOINT_DIR OUT.gguf [--type f32|q8_0]');
    return 2;
  }
  writeGguf(dir, outPath, type);
  console.log(`wrote ${outPath} (${type})`);
  return 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) process.exitCode = main(process.argv.slice(2));
