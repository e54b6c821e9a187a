/**
 * Builds the device catalog from the reference data: accelerators.json (public spec sheets) and aiconfigurator
 * systems/*.yaml (Apache-2.0). Pure: the caller reads the files. `scripts/build-catalog.ts` writes the result
 * into `catalog-data.ts`; a test re-runs it and compares, so the committed module cannot drift from the data.
 *
 * Precedence where both sources give a figure (NVIDIA GPUs): memory, links and power from the systems yaml —
 * the figures aiconfigurator's measured tables were taken against — and dense compute from accelerators.json,
 * which quotes more digits. Every disagreement is kept in the figure's note.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEVICE_SPECS, type DeviceSpec, type FigureSlot } from './build-spec.js';
import type { ComputeDtype, Device, DeviceKind, Figure, LinkSpec, MemoryTier, TierKind } from './types.js';

const nullableNumber = z.number().nullable();
const entrySchema = z.looseObject({
  name: z.string(),
  vendor: z.string(),
  kind: z.enum(['hbm-gpu', 'tpu', 'asic', 'sram']),
  bf16_tflops: nullableNumber,
  fp8_tflops: nullableNumber,
  fp4_tflops: nullableNumber,
  sram_mb: nullableNumber,
  sram_tbps: nullableNumber,
  hbm_gb: nullableNumber,
  hbm_tbps: nullableNumber,
  scaleup_gbps: nullableNumber,
  tdp_w: nullableNumber,
  price_usd_per_hour: nullableNumber,
  sources: z.array(z.string()).min(1),
  notes: z.string(),
  price_usd_per_hour_range: z.tuple([z.number(), z.number()]).optional(),
  ddr_gb: nullableNumber.optional(),
  ddr_tbps: nullableNumber.optional(),
});
type Entry = z.infer<typeof entrySchema>;

const systemSchema = z.looseObject({
  gpu: z.looseObject({
    mem_bw: z.number(),
    mem_capacity: z.number(),
    bfloat16_tc_flops: z.number(),
    int8_tc_flops: z.number().optional(),
    fp8_tc_flops: z.number().optional(),
    fp4_tc_flops: z.number().optional(),
    power: z.number(),
  }),
  node: z.looseObject({
    num_gpus_per_node: z.number().int(),
    num_gpus_per_rack: z.number().int().optional(),
    inter_node_bw: z.number(),
    intra_node_bw: z.number(),
    p2p_latency: z.number(),
    inter_rack_bw: z.number().optional(),
    inter_rack_latency: z.number().optional(),
  }),
});

interface System {
  readonly data: z.infer<typeof systemSchema>;
  /** The raw text, for the comment that explains a value. */
  readonly text: string;
  readonly cite: string;
}

const KIND: Readonly<Record<Entry['kind'], DeviceKind>> = { 'hbm-gpu': 'gpu', tpu: 'tpu', asic: 'asic', sram: 'sram' };
const ENTRY_FLOPS_FIELD = { bf16: 'bf16_tflops', fp8: 'fp8_tflops', fp4: 'fp4_tflops', int8: undefined } as const;
const SYSTEM_FLOPS_FIELD = {
  bf16: 'bfloat16_tc_flops',
  fp8: 'fp8_tc_flops',
  fp4: 'fp4_tc_flops',
  int8: 'int8_tc_flops',
} as const;
export const INT8_EQUALS_FP8_NOTE =
  'int8 tensor throughput equals fp8 on this architecture per aiconfigurator systems yaml.';
const GIB = 2 ** 30;
const MIB = 2 ** 20;

/**
 * @param acceleratorsJson the parsed `hardware/accelerators.json` array
 * @param systemsYamlTexts `calibration/aiconfigurator/systems/*.yaml` texts by file name (`h100_sxm.yaml`)
 */
export function buildCatalog(acceleratorsJson: unknown, systemsYamlTexts: Readonly<Record<string, string>>, extraJson: unknown = []): Device[] {
  // `extraJson`: the project's data/hardware/accelerators-extra.json, entries in the same format for devices the
  // shared reference file lacks (Rubin CPX), each with its own sources.
  const entries = [...z.array(entrySchema).parse(acceleratorsJson), ...z.array(entrySchema).parse(extraJson)];
  const byName = new Map(entries.map((e) => [e.name, e]));
  const unused = new Set(byName.keys());
  const devices = DEVICE_SPECS.map((spec) => {
    const entry = byName.get(spec.entryName);
    if (!entry) throw new Error(`accelerators.json has no entry named ${JSON.stringify(spec.entryName)} (device ${spec.id})`);
    unused.delete(spec.entryName);
    return buildDevice(new Ctx(spec, entry, spec.yaml ? loadSystem(spec.yaml, systemsYamlTexts) : undefined, byName));
  });
  if (unused.size > 0) throw new Error(`accelerators.json entries without a device spec: ${[...unused].join(', ')}`);
  checkIds(devices);
  return devices;
}

function loadSystem(file: string, texts: Readonly<Record<string, string>>): System {
  const text = texts[file];
  if (text === undefined) throw new Error(`systems yaml ${file} was not given`);
  return { data: systemSchema.parse(parseYaml(text)), text, cite: `aiconfigurator systems/${file} (Apache-2.0)` };
}

function checkIds(devices: readonly Device[]): void {
  const seen = new Map<string, string>();
  for (const d of devices) {
    for (const name of [d.id, ...d.aliases]) {
      if (name !== name.toLowerCase()) throw new Error(`device name ${name} must be lowercase`);
      const owner = seen.get(name);
      if (owner !== undefined) throw new Error(`device name ${name} is used by both ${owner} and ${d.id}`);
      seen.set(name, d.id);
    }
  }
}

/** One device's sources and the helpers that turn them into cited figures. */
class Ctx {
  constructor(
    readonly spec: DeviceSpec,
    readonly entry: Entry,
    readonly sys: System | undefined,
    readonly byName: ReadonlyMap<string, Entry>,
  ) {}

  /** The entry's URLs backing `slot`: chosen by the spec's hints, else all of them. */
  cite(slot: FigureSlot): string {
    const hints = this.spec.cite?.[slot] ?? this.spec.cite?.default;
    if (!hints) return this.entry.sources.join('; ');
    const picked = this.entry.sources.filter((url) => hints.some((h) => url.includes(h)));
    for (const h of hints) {
      if (!this.entry.sources.some((url) => url.includes(h))) {
        throw new Error(`${this.spec.id} ${slot}: citation hint ${h} matches none of the entry's sources`);
      }
    }
    return picked.join('; ');
  }

  /** Source text of a null figure: where it was looked for. */
  lookedFor(what: string): string {
    const nor = this.sys ? ` nor ${this.sys.cite}` : '';
    return `not found: accelerators.json "${this.entry.name}" (${what}; compiled from the URLs in this device's sources)${nor}`;
  }

  note(slot: FigureSlot): string | undefined {
    return this.spec.notes?.[slot];
  }

  /** A value the spec adds from the entry's notes or another entry, if any. */
  extra(slot: FigureSlot): Figure | undefined {
    const x = this.spec.extra?.[slot];
    if (!x) return undefined;
    let source = this.cite(slot);
    if (x.sourceEntry !== undefined) {
      const other = this.byName.get(x.sourceEntry);
      if (!other) throw new Error(`${this.spec.id} ${slot}: no accelerators.json entry ${x.sourceEntry}`);
      source = other.sources.join('; ');
    }
    if (x.source !== undefined) source = x.source;
    return figure(x.value, source, x.note, this.note(slot));
  }

  /** The comment after `key:` in the systems yaml, which often says what the number means. */
  yamlComment(key: string): string | undefined {
    if (!this.sys) return undefined;
    const m = new RegExp(`^\\s*${key}:[^#\\n]*#\\s*(.*?)\\s*$`, 'm').exec(this.sys.text);
    return m?.[1] ? `systems yaml ${key}: "${m[1]}".` : undefined;
  }
}

function figure(value: number | null, source: string, ...notes: (string | undefined)[]): Figure {
  const note = notes.filter((n) => n !== undefined && n !== '').join(' ');
  return note ? { value, source, note } : { value, source };
}

/** `value × 10^exp`, correctly rounded (989.4 TFLOP/s -> exactly 989.4e12, not 989.4 * 1e12). */
function dec(value: number, exp: number): number {
  return Number(`${value}e${exp}`);
}

function buildDevice(c: Ctx): Device {
  const { spec, entry } = c;
  const meshLinks = c.extra('scaleUp.pointToPointLinks');
  const opLatency = c.extra('dataflow.opLatency');
  const notes = [entry.notes, spec.deviceNote].filter((n) => n !== undefined && n !== '').join(' ');
  return {
    id: spec.id,
    name: entry.name,
    vendor: entry.vendor,
    kind: KIND[entry.kind],
    aliases: [...spec.aliases],
    flopsPerS: {
      bf16: compute(c, 'bf16'),
      fp8: compute(c, 'fp8'),
      fp4: compute(c, 'fp4'),
      int8: compute(c, 'int8'),
    },
    memory: { sram: tier(c, 'sram'), hbm: tier(c, 'hbm'), dram: tier(c, 'dram') },
    scaleUp: {
      ...scaleUpLink(c),
      domainChips: domainChips(c),
      ...(meshLinks ? { pointToPointLinks: meshLinks } : {}),
    },
    scaleOut: scaleOutLink(c),
    powerW: power(c),
    priceUsdPerHour: price(c),
    weightsInSramOnly: spec.weightsInSramOnly,
    ...(opLatency ? { dataflowOpLatencyS: opLatency } : {}),
    sources: [
      ...new Set([
        ...entry.sources,
        ...(c.sys ? [c.sys.cite] : []),
        // Pages the spec cites for figures the entry lacks (chip-to-chip links, dataflow latency).
        ...Object.values(spec.extra ?? {}).flatMap((x) => (x?.source !== undefined ? x.source.split('; ') : [])),
      ]),
    ],
    ...(notes ? { notes } : {}),
  };
}

function compute(c: Ctx, dtype: ComputeDtype): Figure {
  const slot: FigureSlot = `flops.${dtype}`;
  const extra = c.extra(slot);
  if (extra) return extra;
  const field = ENTRY_FLOPS_FIELD[dtype];
  const fromEntry = field === undefined ? null : c.entry[field];
  const gpu = c.sys?.data.gpu;
  const fromSystem = gpu?.[SYSTEM_FLOPS_FIELD[dtype]];
  if (fromEntry !== null) {
    const value = dec(fromEntry, 12);
    if (fromSystem === undefined || !c.sys) return figure(value, c.cite(slot), c.note(slot));
    if (fromSystem === value) return figure(value, `${c.cite(slot)}; ${c.sys.cite}`, c.note(slot));
    return figure(value, c.cite(slot), c.note(slot), `The systems yaml gives ${fromSystem / 1e12} TFLOP/s.`);
  }
  if (fromSystem !== undefined && c.sys) {
    const same = dtype === 'int8' && fromSystem === gpu?.fp8_tc_flops;
    const why = same ? INT8_EQUALS_FP8_NOTE : c.yamlComment(SYSTEM_FLOPS_FIELD[dtype]);
    return figure(fromSystem, c.sys.cite, c.note(slot), why);
  }
  return figure(null, c.lookedFor(field === undefined ? 'no int8 field' : `${field}: null`), c.note(slot));
}

function tier(c: Ctx, kind: TierKind): MemoryTier {
  const absent = absentReason(c, kind);
  const capSlot: FigureSlot = `${kind}.capacity`;
  const bwSlot: FigureSlot = `${kind}.bandwidth`;
  if (absent !== undefined) {
    return {
      capacityBytes: figure(0, c.cite(capSlot), absent, c.note(capSlot)),
      bandwidthBytesPerS: figure(null, c.cite(bwSlot), 'No such tier.', c.note(bwSlot)),
    };
  }
  return {
    capacityBytes: c.extra(capSlot) ?? capacity(c, kind),
    bandwidthBytesPerS: c.extra(bwSlot) ?? bandwidth(c, kind),
  };
}

function absentReason(c: Ctx, kind: TierKind): string | undefined {
  const stated = c.spec.absentTiers?.[kind];
  if (stated !== undefined) return `Absent: ${stated}.`;
  if (kind !== 'hbm') return undefined;
  if (c.spec.hbmFieldsAre !== undefined) return `Absent: the entry's hbm_* fields describe the ${c.spec.hbmFieldsAre} tier.`;
  if (c.entry.hbm_gb === 0) {
    return 'Absent: the entry gives hbm_gb 0 (no HBM on this chip).';
  }
  return undefined;
}

/** Which entry fields hold a tier's capacity (GB or MB) and bandwidth (TB/s). */
interface TierFields {
  readonly size: number | null | undefined;
  readonly sizeField: string;
  readonly tbps: number | null | undefined;
  readonly tbpsField: string;
  /** Decimal exponent of the size unit: 6 for MB, 9 for GB. */
  readonly exp: number;
}

function tierFields(c: Ctx, kind: TierKind): TierFields {
  const e = c.entry;
  if (kind === 'sram') {
    return { size: e.sram_mb, sizeField: 'sram_mb', tbps: e.sram_tbps, tbpsField: 'sram_tbps', exp: 6 };
  }
  if (kind === 'hbm' || c.spec.hbmFieldsAre === 'dram') {
    return { size: e.hbm_gb, sizeField: 'hbm_gb', tbps: e.hbm_tbps, tbpsField: 'hbm_tbps', exp: 9 };
  }
  return { size: e.ddr_gb, sizeField: 'ddr_gb', tbps: e.ddr_tbps, tbpsField: 'ddr_tbps', exp: 9 };
}

function capacity(c: Ctx, kind: TierKind): Figure {
  const slot: FigureSlot = `${kind}.capacity`;
  const f = tierFields(c, kind);
  const unit = f.exp === 6 ? 'MB' : 'GB';
  if (kind === 'hbm' && c.sys) {
    const bytes = c.sys.data.gpu.mem_capacity;
    const entryNote =
      f.size === null || f.size === undefined
        ? undefined
        : `accelerators.json gives ${f.size} GB; the systems yaml's byte count is preferred (exact usable size).`;
    return figure(bytes, c.sys.cite, c.note(slot), entryNote, c.yamlComment('mem_capacity'));
  }
  if (f.size === null || f.size === undefined) {
    const what = f.size === null ? `${f.sizeField}: null` : `no ${f.sizeField} field`;
    return figure(null, c.lookedFor(what), c.note(slot));
  }
  const binary = kind !== 'dram' && c.spec.binaryUnits?.includes(kind);
  if (binary) {
    const bytes = f.size * (f.exp === 6 ? MIB : GIB);
    const binaryUnit = unit === 'MB' ? 'MiB' : 'GiB';
    return figure(bytes, c.cite(slot), c.note(slot), `The entry's ${f.size} ${unit} is ${f.size} ${binaryUnit} per its notes.`);
  }
  return figure(dec(f.size, f.exp), c.cite(slot), c.note(slot));
}

function bandwidth(c: Ctx, kind: TierKind): Figure {
  const slot: FigureSlot = `${kind}.bandwidth`;
  const f = tierFields(c, kind);
  const fromEntry = f.tbps === null || f.tbps === undefined ? null : dec(f.tbps, 12);
  if (kind === 'hbm' && c.sys) {
    const bw = c.sys.data.gpu.mem_bw;
    if (fromEntry === bw) return figure(bw, `${c.sys.cite}; ${c.cite(slot)}`, c.note(slot));
    const other = fromEntry === null ? undefined : `accelerators.json gives ${f.tbps} TB/s; the systems yaml figure is used.`;
    return figure(bw, c.sys.cite, c.note(slot), other, c.yamlComment('mem_bw'));
  }
  if (fromEntry === null) {
    const what = f.tbps === null ? `${f.tbpsField}: null` : `no ${f.tbpsField} field`;
    return figure(null, c.lookedFor(what), c.note(slot));
  }
  return figure(fromEntry, c.cite(slot), c.note(slot));
}

function scaleUpLink(c: Ctx): LinkSpec {
  return { bandwidthBytesPerS: scaleUpBandwidth(c), latencyS: scaleUpLatency(c) };
}

function scaleUpBandwidth(c: Ctx): Figure {
  const slot: FigureSlot = 'scaleUp.bandwidth';
  const extra = c.extra(slot);
  if (extra) return extra;
  const gbps = c.entry.scaleup_gbps;
  if (c.sys) {
    const bw = c.sys.data.node.intra_node_bw;
    const comment = c.yamlComment('intra_node_bw');
    if (gbps !== null && dec(gbps / 2, 9) === bw) {
      const same = `= accelerators.json ${gbps} GB/s bidirectional / 2.`;
      return figure(bw, `${c.sys.cite}; ${c.cite(slot)}`, c.note(slot), comment, same);
    }
    return figure(bw, c.sys.cite, c.note(slot), comment);
  }
  if (gbps === null) return figure(null, c.lookedFor('scaleup_gbps: null'), c.note(slot));
  if (c.spec.scaleUpQuote === 'rack-internal') return figure(null, c.cite(slot), c.note(slot));
  return figure(
    dec(gbps / 2, 9),
    c.cite(slot),
    c.note(slot),
    `The entry's ${gbps} GB/s is a per-chip bidirectional total; halved for per direction.`,
  );
}

function scaleUpLatency(c: Ctx): Figure {
  const slot: FigureSlot = 'scaleUp.latency';
  const extra = c.extra(slot);
  if (extra) return extra;
  if (c.sys) return figure(c.sys.data.node.p2p_latency, c.sys.cite, c.note(slot), c.yamlComment('p2p_latency'));
  return figure(null, c.lookedFor('no chip-to-chip latency field'), c.note(slot));
}

function domainChips(c: Ctx): Figure {
  const slot: FigureSlot = 'scaleUp.domainChips';
  const extra = c.extra(slot);
  if (extra) return extra;
  if (c.sys) {
    const node = c.sys.data.node;
    if (node.num_gpus_per_rack !== undefined) {
      return figure(node.num_gpus_per_rack, c.sys.cite, c.note(slot), 'NVL72: num_gpus_per_rack share one NVLink domain.');
    }
    return figure(node.num_gpus_per_node, c.sys.cite, c.note(slot), 'HGX node: num_gpus_per_node share one NVLink domain.');
  }
  return figure(null, c.lookedFor('no scale-up domain size field'), c.note(slot));
}

function scaleOutLink(c: Ctx): LinkSpec {
  const bwSlot: FigureSlot = 'scaleOut.bandwidth';
  const latSlot: FigureSlot = 'scaleOut.latency';
  const node = c.sys?.data.node;
  let bandwidthBytesPerS = c.extra(bwSlot);
  if (!bandwidthBytesPerS) {
    if (node && c.sys) {
      // On NVL72 systems inter_node_bw is NVLink inside the rack; scale-out is the rack-to-rack InfiniBand.
      const rack = node.num_gpus_per_rack !== undefined && node.inter_rack_bw !== undefined;
      const key = rack ? 'inter_rack_bw' : 'inter_node_bw';
      const value = rack ? (node.inter_rack_bw ?? null) : node.inter_node_bw;
      bandwidthBytesPerS = figure(value, c.sys.cite, c.note(bwSlot), c.yamlComment(key));
    } else {
      bandwidthBytesPerS = figure(null, c.lookedFor('no scale-out field'), c.note(bwSlot));
    }
  }
  let latencyS = c.extra(latSlot);
  if (!latencyS) {
    if (node?.inter_rack_latency !== undefined && c.sys) {
      latencyS = figure(node.inter_rack_latency, c.sys.cite, c.note(latSlot), c.yamlComment('inter_rack_latency'));
    } else {
      const why = c.sys ? 'The systems yaml gives no inter-node latency (its p2p_latency is used for scale-up).' : undefined;
      latencyS = figure(null, c.lookedFor('no scale-out latency field'), c.note(latSlot), why);
    }
  }
  return { bandwidthBytesPerS, latencyS };
}

function power(c: Ctx): Figure {
  const slot: FigureSlot = 'power';
  const fromEntry = c.entry.tdp_w;
  const fromSystem = c.sys?.data.gpu.power;
  if (fromSystem !== undefined && c.sys) {
    if (fromEntry === fromSystem) return figure(fromSystem, `${c.cite(slot)}; ${c.sys.cite}`, c.note(slot));
    const other = fromEntry === null ? undefined : `accelerators.json gives ${fromEntry} W; the systems yaml figure is used.`;
    return figure(fromSystem, c.sys.cite, c.note(slot), other, c.yamlComment('power'));
  }
  if (fromEntry === null) return figure(null, c.lookedFor('tdp_w: null'), c.note(slot));
  return figure(fromEntry, c.cite(slot), c.note(slot));
}

function price(c: Ctx): Figure {
  const slot: FigureSlot = 'price';
  const range = c.entry.price_usd_per_hour_range;
  const rangeNote = range ? `Range $${range[0].toFixed(2)}-${range[1].toFixed(2)} per hour across providers.` : undefined;
  const value = c.entry.price_usd_per_hour;
  if (value === null) {
    const why = range ? 'The entry gives only a range, no single figure.' : undefined;
    const source = range ? c.cite(slot) : c.lookedFor('price_usd_per_hour: null');
    return figure(null, source, why, rangeNote, c.note(slot));
  }
  return figure(value, c.cite(slot), c.note(slot), rangeNote);
}
