import { UsageError } from '../core/errors.js';
import { isDtype, type Dtype } from '../core/units.js';
import { Catalog } from '../hardware/catalog.js';
import { deviceDerived } from '../hardware/derived.js';
import type { Device, Figure } from '../hardware/types.js';
import { modelSummary } from '../models/figures.js';
import { bytes, num, table } from './format.js';
import { builtinModelIds, loadModel, loadStructuredFile } from './load.js';

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

export function listCommand(what: 'hardware' | 'models', json: boolean): void {
  if (what === 'models') {
    const ids = builtinModelIds();
    if (json) return out(JSON.stringify(ids, null, 2));
    return out(ids.join('\n'));
  }
  const devices = Catalog.builtin().list();
  if (json) return out(JSON.stringify(devices.map((d) => ({ id: d.id, name: d.name, kind: d.kind, aliases: d.aliases })), null, 2));
  const f = (x: Figure, scale: number): string => (x.value === null ? '—' : num(x.value / scale));
  const rows = [['id', 'kind', 'name', 'bf16 TFLOP/s', 'fp8 TFLOP/s', 'SRAM GB', 'HBM GB', 'HBM TB/s', 'W', '$/h']];
  for (const d of devices) {
    rows.push([
      d.id,
      d.kind,
      d.name,
      f(d.flopsPerS.bf16, 1e12),
      f(d.flopsPerS.fp8, 1e12),
      f(d.memory.sram.capacityBytes, 1e9),
      f(d.memory.hbm.capacityBytes, 1e9),
      f(d.memory.hbm.bandwidthBytesPerS, 1e12),
      f(d.powerW, 1),
      f(d.priceUsdPerHour, 1),
    ]);
  }
  out(table(rows, { header: true }));
  out('— = not published (see `phasewise show hardware ID` for sources)');
}

export function showCommand(what: 'hardware' | 'model', id: string, opts: { json: boolean; hardware?: string; weights?: string; kv?: string }): void {
  if (what === 'hardware') {
    let catalog = Catalog.builtin();
    if (opts.hardware) catalog = catalog.withOverrides(loadStructuredFile(opts.hardware, '--hardware'), opts.hardware);
    const device = catalog.get(id);
    const derived = deviceDerived(device);
    if (opts.json) return out(JSON.stringify({ ...device, derived }, null, 2));
    return out(deviceText(device, derived));
  }
  const arch = loadModel(id, 'model id');
  const dtype = (v: string | undefined, flag: string): Dtype | undefined => {
    if (v === undefined) return undefined;
    if (!isDtype(v)) throw new UsageError(flag, v, 'fp32, bf16, fp16, fp8, int8, fp4 or int4');
    return v;
  };
  const weight = dtype(opts.weights, '--weights');
  const kv = dtype(opts.kv, '--kv');
  // Parts not named keep the checkpoint's own precision (e.g. mxfp4 experts stay mxfp4).
  const summary = modelSummary(arch, { weight: weight ?? arch.weightDtype, ...(kv ? { kv } : {}) });
  // Contract: weightBytes is the total; the split by part sits beside it.
  const json = { ...summary, weightBytes: summary.weightBytes.total, weightBytesByPart: summary.weightBytes };
  if (opts.json) return out(JSON.stringify({ ...json, arch }, null, 2));
  const rows: string[][] = [];
  for (const [k, v] of Object.entries(json)) {
    if (typeof v === 'number') rows.push([k, /bytes/i.test(k) ? `${bytes(v)} (${v})` : num(v)]);
    else if (typeof v === 'string') rows.push([k, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) {
        if (typeof v2 === 'number') rows.push([`${k}.${k2}`, /bytes/i.test(k) ? bytes(v2) : num(v2)]);
      }
    }
  }
  out(`${arch.id} (${arch.architecture})`);
  out(table(rows));
}

function deviceText(d: Device, derived: object): string {
  const lines: string[] = [`${d.name} (${d.id}, ${d.kind}, ${d.vendor})`, `aliases: ${d.aliases.join(', ') || '—'}`, ''];
  const rows: string[][] = [['figure', 'value', 'source']];
  const add = (name: string, f: Figure, unit: string, scale: number): void => {
    rows.push([name, f.value === null ? 'not published' : `${num(f.value / scale)} ${unit}`, f.source + (f.note ? ` (${f.note})` : '')]);
  };
  for (const [dt, f] of Object.entries(d.flopsPerS)) add(`${dt} dense`, f, 'TFLOP/s', 1e12);
  for (const [tier, t] of Object.entries(d.memory)) {
    add(`${tier} capacity`, t.capacityBytes, 'GB', 1e9);
    add(`${tier} bandwidth`, t.bandwidthBytesPerS, 'TB/s', 1e12);
  }
  add('scale-up bandwidth (per direction)', d.scaleUp.bandwidthBytesPerS, 'GB/s', 1e9);
  add('scale-up latency', d.scaleUp.latencyS, 'µs', 1e-6);
  add('scale-up domain', d.scaleUp.domainChips, 'chips', 1);
  if (d.scaleUp.pointToPointLinks) add('scale-up mesh links (point to point)', d.scaleUp.pointToPointLinks, 'per chip', 1);
  add('scale-out bandwidth (per direction)', d.scaleOut.bandwidthBytesPerS, 'GB/s', 1e9);
  add('scale-out latency', d.scaleOut.latencyS, 'µs', 1e-6);
  add('power', d.powerW, 'W', 1);
  add('rental price', d.priceUsdPerHour, '$/h', 1);
  lines.push(table(rows, { header: true }));
  lines.push('');
  lines.push('derived:');
  for (const [k, v] of Object.entries(derived)) lines.push(`  ${k}: ${typeof v === 'number' ? num(v) : JSON.stringify(v)}`);
  if (d.notes) lines.push('', `notes: ${d.notes}`);
  return lines.join('\n');
}
