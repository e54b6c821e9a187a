import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Catalog } from './catalog.js';
import { deviceDerived, fastestTier, weightsTier } from './derived.js';

const c = Catalog.builtin();
const close = (actual: number | null, expected: number, what: string): void => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= 1e-9 * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
};

test('H100: ridge point, sweep time and prices by hand', () => {
  const d = deviceDerived(c.get('h100'));
  assert.equal(d.weightsTier, 'hbm');
  close(d.ridgeFlopPerByte.bf16, 989.4e12 / 3.35e12, 'bf16 ridge'); // ≈ 295 FLOP/B
  close(d.ridgeFlopPerByte.fp8, 1978.9e12 / 3.35e12, 'fp8 ridge'); // ≈ 591 FLOP/B
  assert.equal(d.ridgeFlopPerByte.fp4, null);
  close(d.weightsTierSweepS, (80 * 2 ** 30) / 3.35e12, 'sweep'); // ≈ 25.6 ms to read all 80 GiB
  close(d.usdPerPflopsHour.bf16, 2.69 / 0.9894, '$/PFLOP-h'); // ≈ $2.72
  close(d.usdPerTbPerSHour, 2.69 / 3.35, '$/TB/s-h');
  close(d.flopPerJoule.bf16, 989.4e12 / 700, 'FLOP/J');
  close(d.scaleUpDomainCapacityBytes, 8 * 80 * 2 ** 30, 'HGX capacity');
});

test('the fastest tier skips caches whose bandwidth is unknown', () => {
  // A100 lists its 40 MB L2 as sram with no bandwidth: weights go to HBM.
  assert.equal(fastestTier(c.get('a100')), 'hbm');
  assert.equal(fastestTier(c.get('mi325x')), 'hbm');
  // d-Matrix: 2 GB SRAM at 150 TB/s beats 256 GB LPDDR at 0.4 TB/s; the LPDDR is the largest tier.
  assert.equal(fastestTier(c.get('corsair')), 'sram');
  assert.equal(deviceDerived(c.get('corsair')).largestTier, 'dram');
  // SambaNova's SRAM bandwidth is unpublished: its fastest known tier is HBM.
  assert.equal(fastestTier(c.get('sn40l')), 'hbm');
  // MatX publishes nothing.
  assert.equal(fastestTier(c.get('matx-one')), null);
});

test('SRAM-only chips stream weights from SRAM', () => {
  for (const id of ['groq-lpu-v1', 'groq3-lpu', 'groq3-lpx', 'wse3']) assert.equal(weightsTier(c.get(id)), 'sram', id);
  const lpu = deviceDerived(c.get('groq3-lpu'));
  close(lpu.ridgeFlopPerByte.fp8, 1200e12 / 150e12, 'Groq 3 fp8 ridge'); // 8 FLOP/B: decode-friendly
  close(lpu.weightsTierSweepS, 500e6 / 150e12, 'Groq 3 sweep'); // 3.3 us
  close(lpu.scaleUpDomainCapacityBytes, 256 * 500e6, 'LPX rack SRAM'); // 128 GB, as the LPX entry says
});

test('derived values are null when an input is null, never 0 or NaN', () => {
  for (const device of c.list()) {
    const d = deviceDerived(device);
    const walk = (v: unknown, path: string): void => {
      if (typeof v === 'number') assert.ok(Number.isFinite(v) && v > 0, `${device.id} ${path} = ${v}`);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    };
    walk(d, 'derived');
  }
  const rubin = deviceDerived(c.get('rubin'));
  assert.equal(rubin.usdPerPflopsHour.fp4, null); // no price
  assert.equal(rubin.ridgeFlopPerByte.bf16, null); // no BF16 figure
  close(rubin.ridgeFlopPerByte.fp4, 35e15 / 22e12, 'Rubin fp4 ridge');
});
