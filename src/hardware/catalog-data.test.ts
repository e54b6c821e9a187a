import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildCatalog } from './build.js';
import { DEVICE_SPECS } from './build-spec.js';
import { CATALOG_DEVICES } from './catalog-data.js';
import { renderCatalogModule, renderNumber } from './render.js';
import type { Device, Figure } from './types.js';

// dist/src/hardware/ -> /work/main/dist/src/hardware; four levels up is the folder holding shared/ and main/.
const DATA = new URL('../../../../shared/data/', import.meta.url);
const GENERATED_TS = new URL('../../../src/hardware/catalog-data.ts', import.meta.url);

const EXTRA = new URL('../../../data/hardware/accelerators-extra.json', import.meta.url);

function loadSources(): { accelerators: unknown; yamlTexts: Record<string, string>; extra: unknown } {
  const accelerators: unknown = JSON.parse(readFileSync(new URL('hardware/accelerators.json', DATA), 'utf8'));
  const extra: unknown = JSON.parse(readFileSync(EXTRA, 'utf8'));
  const systemsDir = new URL('calibration/aiconfigurator/systems/', DATA);
  const yamlTexts: Record<string, string> = {};
  for (const f of readdirSync(systemsDir)) if (f.endsWith('.yaml')) yamlTexts[f] = readFileSync(new URL(f, systemsDir), 'utf8');
  return { accelerators, yamlTexts, extra };
}

/** Every Figure of a device with its path, e.g. `memory.hbm.capacityBytes`. */
function figures(d: Device): [string, Figure][] {
  const out: [string, Figure][] = [];
  const walk = (v: unknown, path: string): void => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    if ('value' in v && 'source' in v) {
      out.push([path, v as Figure]);
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(d, '');
  return out;
}

test('the committed catalog-data.ts equals a fresh build from ../shared/data (data and text)', () => {
  const { accelerators, yamlTexts, extra } = loadSources();
  const built = buildCatalog(accelerators, yamlTexts, extra);
  assert.deepStrictEqual(CATALOG_DEVICES, built);
  assert.equal(readFileSync(GENERATED_TS, 'utf8'), renderCatalogModule(built), 'run: node dist/scripts/build-catalog.js');
});

test("all 25 accelerators.json entries and the project's extra entries become devices", () => {
  const { accelerators, extra } = loadSources();
  assert.equal((accelerators as unknown[]).length, 25);
  // Rubin CPX, and the seven GPUs of aiconfigurator's systems files the shared file lacks.
  assert.equal((extra as unknown[]).length, 8);
  assert.equal(CATALOG_DEVICES.length, 33);
  assert.equal(DEVICE_SPECS.length, 33);
});

test('Rubin CPX: GDDR7 as its main memory, dense NVFP4, a derived PCIe 6 link, nothing unpublished filled in', () => {
  const cpx = CATALOG_DEVICES.find((d) => d.id === 'rubin-cpx');
  assert.ok(cpx);
  // awesomeagents: 128 GB GDDR7 at roughly 2 TB/s, ~20 PF dense NVFP4 (NVIDIA's 30 PF headline is sparse there).
  assert.equal(cpx.memory.hbm.capacityBytes.value, 128e9);
  assert.equal(cpx.memory.hbm.bandwidthBytesPerS.value, 2e12);
  assert.equal(cpx.flopsPerS.fp4.value, 20e15);
  assert.equal(cpx.flopsPerS.bf16.value, null);
  assert.equal(cpx.priceUsdPerHour.value, null);
  // PCIe Gen 6 ×16 = 128 GB/s per direction, marked derived.
  assert.equal(cpx.scaleOut.bandwidthBytesPerS.value, 128e9);
  assert.match(cpx.scaleOut.bandwidthBytesPerS.note ?? '', /Derived/);
});

test('H100 figures equal the cited values', () => {
  const h100 = CATALOG_DEVICES.find((d) => d.id === 'h100');
  assert.ok(h100);
  // accelerators.json: dense BF16 989.4 TFLOPS, FP8 1978.9 (Klockwood; datasheet 1,979/3,958 are sparse).
  assert.equal(h100.flopsPerS.bf16.value, 989.4e12);
  assert.equal(h100.flopsPerS.fp8.value, 1978.9e12);
  // aiconfigurator h100_sxm.yaml: mem_bw 3350000000000, mem_capacity 85899345920 (80 GiB), power 700,
  // intra_node_bw 450e9 per direction (NVLink 900 GB/s total), int8 1978e12, p2p_latency 10 us, 8 GPUs/node.
  assert.equal(h100.memory.hbm.bandwidthBytesPerS.value, 3.35e12);
  assert.equal(h100.memory.hbm.capacityBytes.value, 80 * 2 ** 30);
  assert.equal(h100.powerW.value, 700);
  assert.equal(h100.scaleUp.bandwidthBytesPerS.value, 450e9);
  assert.equal(h100.scaleUp.latencyS.value, 10e-6);
  assert.equal(h100.scaleUp.domainChips.value, 8);
  assert.equal(h100.scaleOut.bandwidthBytesPerS.value, 50e9);
  assert.equal(h100.flopsPerS.int8.value, 1978e12);
  assert.match(h100.flopsPerS.int8.note ?? '', /int8 tensor throughput equals fp8/);
  assert.equal(h100.priceUsdPerHour.value, 2.69); // RunPod via deploybase
  assert.match(h100.memory.hbm.capacityBytes.source, /aiconfigurator systems\/h100_sxm\.yaml \(Apache-2\.0\)/);
  assert.match(h100.flopsPerS.bf16.source, /^https:\/\//);
});

test('figures the sources lack are null, never 0; the only zeros are tiers a source says are absent', () => {
  for (const d of CATALOG_DEVICES) {
    for (const [path, f] of figures(d)) {
      assert.ok(f.source.length > 0, `${d.id} ${path} has no source`);
      if (f.value === 0) {
        assert.match(path, /^memory\.\w+\.capacityBytes$/, `${d.id} ${path} is 0`);
        assert.match(f.note ?? '', /^Absent: /, `${d.id} ${path} is 0 without saying the tier is absent`);
      }
      if (f.value === null) assert.ok(f.source.length > 10, `${d.id} ${path}: a null must say where it was looked for`);
      if (f.value !== null && f.value !== 0) assert.ok(Number.isFinite(f.value) && f.value > 0, `${d.id} ${path} = ${f.value}`);
    }
  }
});

test('a null in accelerators.json stays null unless a systems yaml or a cited note supplies it', () => {
  const { accelerators, extra } = loadSources();
  const entries = [...(accelerators as Record<string, unknown>[]), ...(extra as Record<string, unknown>[])];
  const byId = new Map(CATALOG_DEVICES.map((d) => [d.id, d]));
  const field: Record<string, (d: Device) => Figure> = {
    bf16_tflops: (d) => d.flopsPerS.bf16,
    fp8_tflops: (d) => d.flopsPerS.fp8,
    fp4_tflops: (d) => d.flopsPerS.fp4,
    sram_mb: (d) => d.memory.sram.capacityBytes,
    sram_tbps: (d) => d.memory.sram.bandwidthBytesPerS,
    tdp_w: (d) => d.powerW,
    price_usd_per_hour: (d) => d.priceUsdPerHour,
  };
  for (const spec of DEVICE_SPECS) {
    const entry = entries.find((e) => e['name'] === spec.entryName);
    const device = byId.get(spec.id);
    assert.ok(entry && device);
    for (const [key, get] of Object.entries(field)) {
      if (entry[key] !== null) continue;
      const f = get(device);
      const supplied = f.source.includes('aiconfigurator') || (f.note ?? '').startsWith('Derived');
      if (!supplied) assert.equal(f.value, null, `${spec.id} ${key}`);
    }
  }
  // Spot checks of what the data leaves open.
  assert.equal(byId.get('rubin')?.flopsPerS.bf16.value, null);
  assert.equal(byId.get('wse3')?.flopsPerS.bf16.value, null); // only a sparse 125 PF is published
  assert.equal(byId.get('matx-one')?.memory.hbm.capacityBytes.value, null);
  assert.equal(byId.get('a100')?.flopsPerS.fp8.value, null); // Ampere has no FP8
});

test('device-specific readings of the sources', () => {
  const byId = new Map(CATALOG_DEVICES.map((d) => [d.id, d]));
  const get = (id: string): Device => {
    const d = byId.get(id);
    assert.ok(d, id);
    return d;
  };
  // H200 compute is H100's, says the entry; the figure says so too.
  assert.equal(get('h200').flopsPerS.bf16.value, 989.4e12);
  assert.match(get('h200').flopsPerS.bf16.note ?? '', /Copied from H100/);
  // d-Matrix's 256 GB / 0.4 TB/s is LPDDR: the dram tier, not HBM.
  assert.equal(get('corsair').memory.dram.capacityBytes.value, 256e9);
  assert.equal(get('corsair').memory.dram.bandwidthBytesPerS.value, 0.4e12);
  assert.equal(get('corsair').memory.hbm.capacityBytes.value, 0);
  // SambaNova: three tiers (520 MB SRAM, 64 GB HBM @ 25.6/16 TB/s, 1.5 TB DDR @ 1.6/16 TB/s).
  assert.equal(get('sn40l').memory.sram.capacityBytes.value, 520e6);
  assert.equal(get('sn40l').memory.hbm.bandwidthBytesPerS.value, 1.6e12);
  assert.equal(get('sn40l').memory.dram.bandwidthBytesPerS.value, 0.1e12);
  // GiB stated in the notes: TPU v5p 95 GiB usable, Trainium2 96 GiB HBM and 224 MiB SBUF.
  assert.equal(get('tpu-v5p').memory.hbm.capacityBytes.value, 95 * 2 ** 30);
  assert.equal(get('trn2').memory.hbm.capacityBytes.value, 96 * 2 ** 30);
  assert.equal(get('trn2').memory.sram.capacityBytes.value, 224 * 2 ** 20);
  // Per direction: TPU v6e ICI 800 GBps bidirectional -> 400e9; NVL72 GB200 900e9 over 72 GPUs.
  assert.equal(get('tpu-v6e').scaleUp.bandwidthBytesPerS.value, 400e9);
  assert.equal(get('gb200').scaleUp.domainChips.value, 72);
  assert.equal(get('gb200').scaleOut.bandwidthBytesPerS.value, 100e9); // inter_rack_bw, not NVLink inter_node_bw
  assert.equal(get('gb200').scaleOut.latencyS.value, 5e-6);
  // Groq 3: 640 TB/s per 256-LPU rack = 2.5 TB/s per LPU bidirectional = 1.25e12 per direction.
  assert.equal(get('groq3-lpu').scaleUp.bandwidthBytesPerS.value, 1.25e12);
  assert.equal(get('groq3-lpu').scaleUp.domainChips.value, 256);
  // AMD's 8-GPU platforms: a direct Infinity Fabric mesh of 7 links per GPU. MI325X: 7 x 128 GB/s bidirectional / 2;
  // MI355X: 7 x ~153 GB/s / 2 (the link count assumed, the note says so).
  for (const id of ['mi300x', 'mi325x', 'mi355x']) assert.equal(get(id).scaleUp.pointToPointLinks?.value, 7, id);
  assert.equal(get('mi325x').scaleUp.bandwidthBytesPerS.value, 448e9);
  assert.equal(get('mi355x').scaleUp.bandwidthBytesPerS.value, 535.5e9);
  assert.match(get('mi355x').scaleUp.bandwidthBytesPerS.note ?? '', /assumed/);
  assert.equal(get('h100').scaleUp.pointToPointLinks, undefined, 'NVSwitch: switched, no mesh');
  // LPX rack SRAM bandwidth derived as 256 x 150 TB/s.
  assert.equal(get('groq3-lpx').memory.sram.bandwidthBytesPerS.value, 38.4e15);
  // B200: the systems yaml's 7.7 TB/s is used; the entry's 8.0 TB/s stays in the note.
  assert.equal(get('b200').memory.hbm.bandwidthBytesPerS.value, 7.7e12);
  assert.match(get('b200').memory.hbm.bandwidthBytesPerS.note ?? '', /8 TB\/s/);
  // Blackwell Ultra INT8 is a fraction of FP8 (aiconfigurator: 307 TOPS sparse / 2).
  assert.equal(get('b300').flopsPerS.int8.value, 153.5e12);
  for (const id of ['groq-lpu-v1', 'groq3-lpu', 'groq3-lpx', 'wse3']) assert.equal(get(id).weightsInSramOnly, true, id);
  for (const id of ['corsair', 'sn40l', 'h100']) assert.equal(get(id).weightsInSramOnly, false, id);
});

test('renderNumber is exact and readable', () => {
  const cases: [number, string][] = [
    [989.4e12, '989.4e12'],
    [1978.9e12, '1.9789e15'],
    [85899345920, '85899345920'],
    [1e-5, '10e-6'],
    [700, '700'],
    [2.69, '2.69'],
    [38.4e15, '38.4e15'],
  ];
  for (const [n, text] of cases) {
    assert.equal(renderNumber(n), text);
    assert.equal(Number(renderNumber(n)), n);
  }
});
