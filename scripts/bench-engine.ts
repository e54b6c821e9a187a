/**
 * The engine's speed benchmark (not part of the tests: minutes, gigabytes): for the ~110M and ~1.1B
 * Llama-shaped random-weight models, fp32 and int8, decode tokens/s at batch 1 and 16, prefill tokens/s, the
 * memory-bandwidth floor, and llama.cpp on a GGUF of the same weights when node-llama-cpp is installed
 * (`npm install --no-save node-llama-cpp`; its npm package ships prebuilt CPU binaries, nothing is downloaded
 * at run time).
 *   npm run bench-engine [-- --models 110m,1b --tp 2]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchEngine, benchTable, syntheticModelDir } from '../src/cli/bench-engine-command.js';
import { writeGguf } from './write-gguf.js';

async function hasLlamaCpp(): Promise<boolean> {
  try {
    await import('node-llama-cpp' as string);
    return true;
  } catch {
    return false;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const arg = (name: string, dflt: string): string => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
  const models = arg('--models', '110m,1b').split(',');
  const tp = arg('--tp', '2');
  const llama = await hasLlamaCpp();
  if (!llama) console.log('node-llama-cpp is not installed: comparing with the memory-bandwidth floor only.\n');
  for (const name of models) {
    const dir = syntheticModelDir(name);
    for (const [quant, gtype] of [['none', 'f32'], ['int8', 'q8_0']] as const) {
      const gguf = join(dir, `model-${gtype}.gguf`);
      if (llama && !existsSync(gguf)) writeGguf(dir, gguf, gtype);
      const r = await benchEngine({ synthetic: name, topology: 'colocated', tp, quantize: quant, promptTokens: '128', decodeTokens: '32', json: false, ...(llama ? { llamaCpp: gguf, llamaCppThreads: tp } : {}) });
      console.log(`${benchTable(r)}\n`);
    }
  }
}

void main(process.argv.slice(2)).then(() => process.exit(0), (e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
