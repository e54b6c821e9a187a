import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_CALIBRATION, resolveCalibration } from './calibration.js';
import { collectiveTimeS, commTimeS, crossDomainS, defaultCollectiveFit, linkOf, meshShare } from './collectives.js';
import { h100, untabledGpu } from './fixtures-for-tests.js';

const near = (a: number, b: number, rel: number, what: string): void => assert.ok(Math.abs(a / b - 1) <= rel, `${what}: ${a} vs ${b}`);
const NVLINK = { bandwidthBytesPerS: 450e9, latencyS: 10e-6 };
const MiB = 1024 * 1024;

describe('collectiveTimeS (alpha–beta)', () => {
  it('textbook ring all-reduce: 2(n−1) latencies + 2(n−1)/n of the bytes over the link', () => {
    // 8 GPUs, 1 MiB: 14 × 10 µs + 1.75 × 1,048,576 B / 450e9 B/s = 140 µs + 4.078 µs = 144.08 µs
    const ring = { latencyMultiple: 14, latencyPerLog2Gpus: 0, bandwidthEfficiency: 1 };
    near(collectiveTimeS('allreduce', MiB, 8, NVLINK, ring), 144.078e-6, 1e-4, 'ring all-reduce');
  });

  it('fitted coefficients: L·(a + b·log2 n) + f(n)·bytes / (BW·e)', () => {
    const f = BUILTIN_CALIBRATION.generic.collective.allreduce;
    // Fitted on the NCCL tables of six systems (medians): a ≈ 0.39, b ≈ 0.52, e ≈ 0.56 → 8 GPUs, 1 MiB on
    // H100 NVLink: 10 µs × (0.39 + 3 × 0.52) + 1.75 MiB / (450 GB/s × 0.56) ≈ 19.5 µs + 7.3 µs ≈ 27 µs.
    const expected = 10e-6 * (f.latencyMultiple + 3 * f.latencyPerLog2Gpus) + (1.75 * MiB) / (450e9 * f.bandwidthEfficiency);
    near(collectiveTimeS('allreduce', MiB, 8, NVLINK), expected, 1e-9, 'fitted all-reduce');
    assert.ok(expected > 20e-6 && expected < 35e-6, `${expected}`);
    // all-gather and all-to-all move (n−1)/n of the bytes; a send moves them once over one hop
    near(collectiveTimeS('send', MiB, 2, NVLINK), 10e-6 + MiB / (450e9 * 0.8), 1e-9, 'send');
    assert.equal(collectiveTimeS('allreduce', MiB, 1, NVLINK), 0);
  });

  it('grows with bytes and with GPUs', () => {
    let prev = 0;
    for (const b of [1e3, 1e4, 1e5, 1e6, 1e7, 1e8]) {
      const t = collectiveTimeS('allreduce', b, 8, NVLINK);
      assert.ok(t > prev);
      prev = t;
    }
    assert.ok(collectiveTimeS('allgather', 1e6, 16, NVLINK) > collectiveTimeS('allgather', 1e6, 4, NVLINK));
  });
});

describe('commTimeS (measured tables where the device has them)', () => {
  const dc = resolveCalibration(h100(), 'trtllm');
  it('reproduces TensorRT-LLM custom all-reduce on H100 (aiconfigurator h100_sxm comm/trtllm/1.3.0rc20)', () => {
    // message_size counts bf16 elements; latency in ms
    const rows: [number, number, number][] = [
      [2, 8192, 0.0028486],
      [2, 4194304, 0.0375162],
      [4, 524288, 0.0129107],
      [8, 524288, 0.0259648],
      [8, 4194304, 0.0794288],
    ];
    for (const [n, elems, ms] of rows) near(commTimeS(dc, 'allreduce', elems * 2, n), ms * 1e-3, 0.05, `${n} GPUs, ${elems} elements`);
  });

  it('continues the measured curve past the largest measured GPU count', () => {
    const t8 = commTimeS(dc, 'allreduce', MiB, 8);
    const t16 = commTimeS(dc, 'allreduce', MiB, 16);
    assert.ok(t16 > t8 && t16 < 2 * t8, `${t16} vs ${t8}`);
  });

  it('falls back to alpha–beta over the device link on a device without tables', () => {
    const g = untabledGpu();
    const udc = resolveCalibration(g, 'generic');
    near(commTimeS(udc, 'allreduce', MiB, 8), collectiveTimeS('allreduce', MiB, 8, linkOf(g, 8)), 1e-12, 'alpha–beta');
  });

  it('a chip on faster links reads a borrowed collective table at the bytes that take as long there', () => {
    // An NVIDIA chip with H100's FLOP/s but twice its memory and NVLink bandwidth: the nearest system's tables
    // (H200's, measured on NVLink 4 at 450 GB/s), each message read at half its bytes.
    const h = h100();
    const hbm = { ...h.memory.hbm, bandwidthBytesPerS: { value: 2 * h.memory.hbm.bandwidthBytesPerS.value!, source: 'test' } };
    const link = { value: 2 * h.scaleUp.bandwidthBytesPerS.value!, source: 'test' };
    const g = { ...h, id: 'h100-successor', vendor: 'NVIDIA', aliases: [], memory: { ...h.memory, hbm }, scaleUp: { ...h.scaleUp, bandwidthBytesPerS: link } };
    const udc = resolveCalibration(g, 'trtllm');
    assert.equal(udc.system?.id, 'h200_sxm');
    assert.equal(udc.collectiveByteScale, 0.5);
    const sameLinks = { ...udc, collectiveByteScale: 1 };
    near(commTimeS(udc, 'allreduce', 2 * MiB, 8), commTimeS(sameLinks, 'allreduce', MiB, 8), 1e-12, 'read at half the bytes');
    // Bandwidth-bound messages take about half as long; latency-bound ones about as long.
    const big = commTimeS(udc, 'allreduce', 256 * MiB, 8) / commTimeS(sameLinks, 'allreduce', 256 * MiB, 8);
    assert.ok(big > 0.45 && big < 0.6, `256 MiB: ${big}`);
    const small = commTimeS(udc, 'allreduce', 4096, 8) / commTimeS(sameLinks, 'allreduce', 4096, 8);
    assert.ok(small > 0.85 && small <= 1, `4 KiB: ${small}`);
    // Without a link figure the tables do not apply: alpha–beta over the fallback link.
    const noLink = { ...g, scaleUp: { ...g.scaleUp, bandwidthBytesPerS: { value: null, source: 'test' } } };
    const ndc = resolveCalibration(noLink, 'trtllm');
    assert.equal(ndc.collectiveByteScale, null);
    near(commTimeS(ndc, 'allreduce', MiB, 8), collectiveTimeS('allreduce', MiB, 8, linkOf(noLink, 8), ndc.generic.collective.allreduce), 1e-12, 'alpha–beta');
  });
});

describe('groups spanning several scale-up domains', () => {
  it('pay the scale-out link for the bytes that leave the domain (hand check on an 8-GPU-node device)', () => {
    const d = h100();
    const out = linkOf(d, 16);
    const fit = defaultCollectiveFit('alltoall');
    // 16 GPUs on two 8-GPU domains: each GPU sends (16 − 8)/16 of its buffer over its own NIC.
    const bytes = 8 * MiB;
    const expected = out.latencyS * (fit.latencyMultiple + fit.latencyPerLog2Gpus * 1) + (bytes / 2) / (out.bandwidthBytesPerS * fit.bandwidthEfficiency);
    near(crossDomainS(d, 'alltoall', bytes, 16), expected, 1e-12, 'all-to-all cross-domain time');
    assert.equal(crossDomainS(d, 'alltoall', bytes, 8), 0);
    // The table-backed time continues the measured curve and adds the cross-domain part.
    const dc = resolveCalibration(d, 'trtllm');
    assert.ok(commTimeS(dc, 'alltoall', bytes, 16) > crossDomainS(d, 'alltoall', bytes, 16));
  });
});

describe('a switchless mesh (pointToPointLinks)', () => {
  const mesh = { ...h100(), scaleUp: { ...h100().scaleUp, pointToPointLinks: { value: 7, source: 'test' } } };
  it('gives a group only the links between its members', () => {
    // 448 GB/s over 7 links: a pair shares one link (64 GB/s), four chips three, eight all seven.
    assert.equal(meshShare(mesh, 2), 1 / 7);
    assert.equal(meshShare(mesh, 4), 3 / 7);
    assert.equal(meshShare(mesh, 8), 1);
    const up = mesh.scaleUp.bandwidthBytesPerS.value!;
    near(linkOf(mesh, 2).bandwidthBytesPerS, up / 7, 1e-12, 'pair');
    near(linkOf(mesh, 8).bandwidthBytesPerS, up, 1e-12, 'whole domain');
  });
  it('leaves a switched domain and the scale-out link alone', () => {
    const switched = h100();
    assert.equal(meshShare(switched, 2), 1);
    assert.equal(linkOf(switched, 2).bandwidthBytesPerS, switched.scaleUp.bandwidthBytesPerS.value);
    assert.equal(linkOf(mesh, 16).bandwidthBytesPerS, linkOf(switched, 16).bandwidthBytesPerS);
  });
  it('makes a two-chip all-reduce slower than on a switch of the same per-chip bandwidth', () => {
    const bytes = 64 * MiB;
    assert.ok(collectiveTimeS('allreduce', bytes, 2, linkOf(mesh, 2)) > 5 * collectiveTimeS('allreduce', bytes, 2, linkOf(h100(), 2)));
  });
});
