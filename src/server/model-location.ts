/** Where workers find the model: a checkpoint directory, or the built-in demo made from a seed. */
import type { CheckpointSource } from '../engine/checkpoint.js';
import { demoSource } from '../engine/synthetic.js';
import { dirSource } from './fs-source.js';

export type ModelLocation = { readonly kind: 'demo'; readonly seed: number } | { readonly kind: 'dir'; readonly path: string };

export function modelLocation(modelDir: string | undefined): ModelLocation {
  return modelDir === undefined ? { kind: 'demo', seed: 1 } : { kind: 'dir', path: modelDir };
}

export function sourceOf(loc: ModelLocation): CheckpointSource {
  return loc.kind === 'demo' ? demoSource(loc.seed) : dirSource(loc.path);
}
