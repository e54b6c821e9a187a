import fs from 'node:fs';
import { UsageError } from '../core/errors.js';
import type { FrontierResult } from '../plan/frontier.js';
import { checkShardSet, mergeFrontiers, mergePlans } from '../plan/shard.js';
import type { PlanResult } from '../plan/types.js';
import { frontierTable, writeFrontierOutputs } from './frontier-command.js';
import { readUserFile } from './load.js';
import { planTable } from './plan-command.js';

export interface MergeFlags {
  out?: string;
  json: boolean;
}

/** Combine shard files of one plan or frontier run into what the unsharded run prints. */
export async function mergeCommand(files: string[], f: MergeFlags): Promise<void> {
  const parts = files.map((file) => {
    let v: unknown;
    try {
      v = JSON.parse(readUserFile(file, 'merge input'));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(file, 'invalid JSON', 'the JSON printed by plan or frontier with --shard I/N --json (or written with --out)');
    }
    const kind = (v as { kind?: unknown } | null)?.kind;
    if (kind !== 'plan' && kind !== 'frontier') {
      throw new UsageError(`${file}: field kind`, kind, '"plan" or "frontier" (a file written by phasewise plan/frontier --json)');
    }
    return v as PlanResult | FrontierResult;
  });
  checkShardSet(parts, files);
  if (parts[0]!.kind === 'plan') {
    const merged = mergePlans(parts as PlanResult[]);
    const json = JSON.stringify(merged, null, 2);
    if (f.out !== undefined) fs.writeFileSync(`${f.out}.json`, `${json}\n`);
    process.stdout.write(f.json ? `${json}\n` : `${planTable(merged)}\n`);
  } else {
    const merged = mergeFrontiers(parts as FrontierResult[]);
    writeFrontierOutputs(merged, f.out);
    process.stdout.write(f.json ? `${JSON.stringify(merged, null, 2)}\n` : `${frontierTable(merged)}\n`);
  }
}
