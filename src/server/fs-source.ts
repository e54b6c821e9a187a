/** A CheckpointSource over a directory on disk (the engine itself reads no files). */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { CheckpointSource } from '../engine/checkpoint.js';

export function dirSource(dir: string): CheckpointSource {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError('--model', dir, 'a directory holding config.json, *.safetensors and tokenizer.json');
  const fds = new Map<string, number>();
  const fdOf = (f: string): number => {
    let fd = fds.get(f);
    if (fd === undefined) {
      fd = openSync(join(root, f), 'r');
      fds.set(f, fd);
    }
    return fd;
  };
  process.once('exit', () => fds.forEach((fd) => closeSync(fd)));
  return {
    name: root,
    readText: (f) => (existsSync(join(root, f)) ? readFileSync(join(root, f), 'utf8') : undefined),
    sizeBytes: (f) => (existsSync(join(root, f)) ? statSync(join(root, f)).size : undefined),
    readBytes: (f, offset, length) => {
      const out = new Uint8Array(length);
      const fd = fdOf(f);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, out, got, Math.min(length - got, 1 << 30), offset + got);
        if (n === 0) throw new UsageError(join(root, f), `${offset + got} bytes`, `at least ${offset + length} bytes`, 'The file is truncated.');
        got += n;
      }
      return out;
    },
    list: () => readdirSync(root),
  };
}
