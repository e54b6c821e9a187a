import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../core/errors.js';
import { Catalog } from './catalog.js';

const DATA = new URL('../../../../shared/data/', import.meta.url);

const REQUIRED_IDS = [
  'a100', 'h100', 'h200', 'b200', 'gb200', 'b300', 'gb300', 'rubin', 'mi300x', 'mi325x', 'mi355x', 'tpu-v5e',
  'tpu-v6e', 'tpu-v5p', 'tpu7x', 'trn2', 'trn3', 'groq-lpu-v1', 'groq3-lpu', 'groq3-lpx', 'wse3', 'corsair',
  'sn40l', 'sohu', 'matx-one', 'rubin-cpx', 'l40s', 'l4', 'h100-pcie', 'a100-pcie', 'a30', 'rtx-pro-6000', 'arc-pro-b60',
];

const ALIASES: Record<string, string> = {
  h100_sxm: 'h100',
  'h100-sxm': 'h100',
  h200_sxm: 'h200',
  b200_sxm: 'b200',
  b300_sxm: 'b300',
  a100_sxm: 'a100',
  groq: 'groq-lpu-v1',
  lpu: 'groq-lpu-v1',
  lpx: 'groq3-lpx',
  cerebras: 'wse3',
  cs3: 'wse3',
  trainium2: 'trn2',
  trainium3: 'trn3',
  mi300: 'mi300x',
  'tpu-v6': 'tpu-v6e',
  ironwood: 'tpu7x',
  cpx: 'rubin-cpx',
};

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a UsageError');
}

test('every required id and alias resolves, case-insensitively', () => {
  const c = Catalog.builtin();
  assert.deepEqual([...c.ids()].sort(), [...REQUIRED_IDS].sort());
  for (const id of REQUIRED_IDS) assert.equal(c.get(id).id, id);
  for (const [alias, id] of Object.entries(ALIASES)) {
    assert.equal(c.get(alias).id, id, alias);
    assert.equal(c.get(alias.toUpperCase()).id, id, alias.toUpperCase());
  }
  assert.ok(c.has('H100'));
  assert.ok(!c.has('h900'));
  assert.equal(c.get('tpu_v6e').id, 'tpu-v6e'); // separator style is forgiven
});

test('every system named in validation/silicon_dev.csv and aiconfigurator resolves', () => {
  const csv = readFileSync(new URL('validation/silicon_dev.csv', DATA), 'utf8').trim().split('\n');
  const header = csv[0]?.split(',') ?? [];
  const col = header.indexOf('system');
  assert.ok(col >= 0);
  // No quoted commas occur before the system column in this file (id, source, backend, version, model).
  const systems = new Set(csv.slice(1).map((line) => line.split(',')[col] ?? ''));
  assert.deepEqual([...systems].sort(), ['b200_sxm', 'b300_sxm', 'gb200', 'h100_sxm', 'h200_sxm']);
  const c = Catalog.builtin();
  for (const s of [...systems, 'gb300', 'a100_sxm']) assert.ok(c.has(s), s);
  // Every aiconfigurator systems file names a device (a validation row's `system` is such a name).
  const files = readdirSync(new URL('calibration/aiconfigurator/systems/', DATA)).filter((f) => f.endsWith('.yaml') && f !== 'perf_data_reuse_manifest.yaml');
  assert.equal(files.length, 14, 'every systems file is checked');
  for (const f of files) assert.ok(c.has(f.replace(/\.yaml$/, '')), f);
});

test('an unknown id is a UsageError naming the value, the accepted ids and the closest one', () => {
  const e = usageError(() => Catalog.builtin().get('h1OO'));
  assert.equal(e.value, 'h1OO');
  assert.match(e.accepted, /\bh100\b/);
  assert.match(e.accepted, /\bgroq3-lpu\b/);
  assert.match(e.hint ?? '', /Did you mean h100\?/);
  const e2 = usageError(() => Catalog.builtin().get('cerebrs'));
  assert.match(e2.hint ?? '', /Did you mean wse3 \(alias cerebras\)\?/);
});

test('an override file changes a price, with the file as source, and leaves the rest', () => {
  const yaml = 'devices:\n  - id: H100_SXM\n    priceUsdPerHour: 1.5\n  - id: b200\n    memory:\n      hbm: { bandwidthBytesPerS: { value: 8e12, source: "Klockwood", note: "peak" } }\n';
  const base = Catalog.builtin();
  const c = base.withOverrides(parseYaml(yaml), 'my-hw.yaml');
  const h100 = c.get('h100');
  assert.deepEqual(h100.priceUsdPerHour, { value: 1.5, source: 'my-hw.yaml' });
  assert.deepEqual(h100.flopsPerS, base.get('h100').flopsPerS);
  assert.ok(h100.sources.includes('my-hw.yaml'));
  assert.deepEqual(c.get('b200').memory.hbm.bandwidthBytesPerS, { value: 8e12, source: 'Klockwood', note: 'peak' });
  assert.equal(c.get('b200').memory.hbm.capacityBytes.value, base.get('b200').memory.hbm.capacityBytes.value);
  assert.equal(base.get('h100').priceUsdPerHour.value, 2.69, 'the built-in catalog is unchanged');
  assert.equal(c.list().length, REQUIRED_IDS.length);
});

test('an override can wire a device as a point-to-point mesh, or take the mesh away', () => {
  const yaml = 'devices:\n  - id: h200\n    scaleUp: { pointToPointLinks: 7 }\n  - id: mi300x\n    scaleUp: { pointToPointLinks: null }\n';
  const c = Catalog.builtin().withOverrides(parseYaml(yaml), 'mesh.yaml');
  assert.deepEqual(c.get('h200').scaleUp.pointToPointLinks, { value: 7, source: 'mesh.yaml' });
  assert.equal(c.get('mi300x').scaleUp.pointToPointLinks?.value, null);
  assert.throws(
    () => Catalog.builtin().withOverrides(parseYaml('devices:\n  - id: h200\n    scaleUp: { pointToPointLinks: 2.5 }\n'), 'bad.yaml'),
    (e: Error) => e.message.includes('pointToPointLinks') && e.message.includes('whole number'),
  );
});

test('a bad type in an override is a UsageError naming the path and what is accepted', () => {
  const input = { devices: [{ id: 'h100' }, { id: 'b200', memory: { hbm: { capacityBytes: '180GB' } } }] };
  const e = usageError(() => Catalog.builtin().withOverrides(input, 'my-hw.yaml'));
  assert.equal(e.where, 'my-hw.yaml: devices[1].memory.hbm.capacityBytes');
  assert.equal(e.value, '180GB');
  assert.match(e.accepted, /number ≥ 0 in bytes/);

  const typo = usageError(() => Catalog.builtin().withOverrides({ devices: [{ id: 'h100', powerWatts: 600 }] }, 'f.json'));
  assert.equal(typo.where, 'f.json: devices[0].powerWatts');
  assert.match(typo.hint ?? '', /did you mean powerW\?/);

  const kind = usageError(() => Catalog.builtin().withOverrides({ devices: [{ id: 'h100', kind: 'npu' }] }, 'f.json'));
  assert.equal(kind.where, 'f.json: devices[0].kind');
  assert.match(kind.accepted, /gpu, tpu, asic, sram/);

  const shape = usageError(() => Catalog.builtin().withOverrides([{ id: 'h100' }], 'f.json'));
  assert.equal(shape.where, 'f.json: (top level)');
});

test('a new device needs kind, compute and a memory tier, and says which are missing', () => {
  const e = usageError(() => Catalog.builtin().withOverrides({ devices: [{ id: 'my-npu', kind: 'asic' }] }, 'f.yaml'));
  assert.equal(e.where, 'f.yaml: devices[0]');
  assert.match(e.hint ?? '', /flopsPerS/);
  assert.match(e.hint ?? '', /memory tier/);
  assert.doesNotMatch(e.hint ?? '', /\bkind\b/);

  const ok = Catalog.builtin().withOverrides(
    {
      devices: [
        {
          id: 'my-sram-chip',
          kind: 'sram',
          aliases: ['msc'],
          flopsPerS: { fp8: 1e15 },
          memory: { sram: { capacityBytes: 1e9, bandwidthBytesPerS: 100e12 } },
        },
      ],
    },
    'f.yaml',
  );
  const d = ok.get('MSC');
  assert.equal(d.id, 'my-sram-chip');
  assert.equal(d.flopsPerS.fp8.value, 1e15);
  assert.equal(d.flopsPerS.bf16.value, null);
  assert.equal(d.weightsInSramOnly, true, 'an SRAM chip with no off-chip memory holds weights in SRAM');
  assert.equal(ok.list().length, REQUIRED_IDS.length + 1);
});

test('a new device can start from a catalog device with base', () => {
  const c = Catalog.builtin().withOverrides({ devices: [{ id: 'h100-spot', base: 'h100_sxm', priceUsdPerHour: 1.2 }] }, 'f.yaml');
  const d = c.get('h100-spot');
  assert.equal(d.priceUsdPerHour.value, 1.2);
  assert.equal(d.flopsPerS.bf16.value, 989.4e12);
  assert.deepEqual(d.aliases, []);
  const e = usageError(() => Catalog.builtin().withOverrides({ devices: [{ id: 'x', base: 'h1000' }] }, 'f.yaml'));
  assert.equal(e.where, 'f.yaml: devices[0].base');
});

test('an alias that another device already uses is refused', () => {
  const input = {
    devices: [
      { id: 'new-chip', aliases: ['groq'], kind: 'sram', flopsPerS: { int8: 1e15 }, memory: { sram: { capacityBytes: 1e8, bandwidthBytesPerS: 1e13 } } },
    ],
  };
  const e = usageError(() => Catalog.builtin().withOverrides(input, 'f.yaml'));
  assert.equal(e.value, 'groq');
  assert.match(e.hint ?? '', /groq-lpu-v1/);
});
