import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_CALIBRATION, findSystem, nearestSystem, resolveCalibration, SIBLING_PEAK_TOLERANCE } from './calibration.js';
import { transferTimeS } from './efficiency.js';
import { b200, h100, sramChip, untabledGpu } from './fixtures-for-tests.js';
import { gemmWork } from './roofline.js';

describe('calibration', () => {
  it('ships compact tables for the six measured systems', () => {
    const ids = BUILTIN_CALIBRATION.systems.map((s) => s.id).sort();
    assert.deepEqual(ids, ['a100_sxm', 'b200_sxm', 'b300_sxm', 'gb200', 'h100_sxm', 'h200_sxm']);
    const size = JSON.stringify(BUILTIN_CALIBRATION).length;
    assert.ok(size < 1_000_000, `calibration data is ${size} characters`);
    for (const s of BUILTIN_CALIBRATION.systems) assert.ok(s.gemm.bf16, `${s.id} has a bf16 GEMM table`);
    const b = BUILTIN_CALIBRATION.systems.find((s) => s.id === 'b200_sxm');
    assert.ok(b?.gemm.nvfp4 && b.gemm.fp8 && b.gemm.fp8_block, 'B200 has fp8, fp8 block and NVFP4 GEMM tables');
    assert.ok(b?.backends.trtllm?.mlaGeneration?.bf16, 'B200 TensorRT-LLM MLA decode table');
  });

  it('matches devices to measured systems by id or alias, and not others', () => {
    assert.equal(findSystem(h100(), BUILTIN_CALIBRATION)?.id, 'h100_sxm');
    assert.equal(findSystem(b200(), BUILTIN_CALIBRATION)?.id, 'b200_sxm');
    assert.equal(findSystem(untabledGpu(), BUILTIN_CALIBRATION), null);
    assert.equal(findSystem(sramChip(), BUILTIN_CALIBRATION), null);
  });

  it('uses the system reference peaks when the device agrees with them, else the device’s own', () => {
    assert.equal(resolveCalibration(h100(), 'vllm').peaks.flopsPerS.bf16, 989e12);
    const faster = { ...h100(), memory: { ...h100().memory, hbm: { ...h100().memory.hbm, bandwidthBytesPerS: { value: 6.7e12, source: 'what-if' } } } };
    assert.equal(resolveCalibration(faster, 'vllm').peaks.memBytesPerS, 6.7e12);
  });

  it('a vendor chip without tables borrows the nearest measured system’s kernel tables at its own peaks', () => {
    const ref = BUILTIN_CALIBRATION.systems.find((x) => x.id === 'b300_sxm')!.ref;
    const base = untabledGpu();
    const like = (scale: number, bwScale = scale, linkBytesPerS = base.scaleUp.bandwidthBytesPerS.value) => ({
      ...base,
      id: 'b300-successor',
      vendor: 'NVIDIA',
      flopsPerS: {
        ...base.flopsPerS,
        bf16: { value: ref.bf16FlopsPerS * scale, source: 'test' },
        fp8: { value: ref.fp8FlopsPerS * scale, source: 'test' },
        fp4: { value: (ref.fp4FlopsPerS ?? ref.fp8FlopsPerS) * scale, source: 'test' },
      },
      memory: { ...base.memory, hbm: { ...base.memory.hbm, bandwidthBytesPerS: { value: ref.memBytesPerS * bwScale, source: 'test' } } },
      scaleUp: { ...base.scaleUp, bandwidthBytesPerS: { value: linkBytesPerS, source: 'test' } },
    });
    // 15 % faster than the sibling: its own peaks with the sibling's efficiencies; within 10 %, the same chip.
    const dc = resolveCalibration(like(1.15), 'trtllm');
    assert.equal(dc.system?.id, 'b300_sxm');
    assert.equal(resolveCalibration(like(1.15, 1.15, ref.scaleUpBytesPerS), 'trtllm').collectiveByteScale, 1, 'same links: the collective tables as measured');
    assert.equal(dc.collectiveByteScale, ref.scaleUpBytesPerS / base.scaleUp.bandwidthBytesPerS.value!, 'a sibling on slower links (a PCIe card) reads them at scaled bytes');
    assert.equal(dc.peaks.memBytesPerS, ref.memBytesPerS * 1.15);
    assert.equal(resolveCalibration(like(1.03), 'trtllm').peaks.memBytesPerS, ref.memBytesPerS);
    // Another generation (bandwidth 1.5× beyond the sibling tolerance): the nearest system's kernels, not its links.
    const far = resolveCalibration(like(1.15, 1 + SIBLING_PEAK_TOLERANCE * 1.5), 'trtllm');
    assert.equal(far.system?.id, 'b300_sxm');
    assert.equal(far.collectiveByteScale, ref.scaleUpBytesPerS / base.scaleUp.bandwidthBytesPerS.value!, 'another link: bytes scaled by the bandwidth ratio');
    assert.equal(far.peaks.memBytesPerS, ref.memBytesPerS * (1 + SIBLING_PEAK_TOLERANCE * 1.5));
    assert.equal(resolveCalibration(like(1.15, 1 + SIBLING_PEAK_TOLERANCE * 1.5, ref.scaleUpBytesPerS), 'trtllm').collectiveByteScale, 1, 'same link bandwidth');
    assert.equal(resolveCalibration(like(1.15, 1 + SIBLING_PEAK_TOLERANCE * 1.5, null), 'trtllm').collectiveByteScale, null, 'unknown link');
    assert.equal(resolveCalibration({ ...like(1.15), vendor: 'AMD' }, 'trtllm').system, null);
    assert.equal(resolveCalibration({ ...like(1.15), kind: 'sram' }, 'trtllm').system, null, 'a vendor\'s SRAM chip runs no GPU kernels');
    assert.equal(resolveCalibration(untabledGpu(), 'trtllm').system, null);
    assert.equal(resolveCalibration(h100(), 'trtllm').collectiveByteScale, 1);
  });

  it('the nearest system is the one closest in every peak rate, fp4 included', () => {
    const h200 = BUILTIN_CALIBRATION.systems.find((x) => x.id === 'h200_sxm')!.ref;
    const b200 = BUILTIN_CALIBRATION.systems.find((x) => x.id === 'b200_sxm')!.ref;
    const others = { ...BUILTIN_CALIBRATION, systems: BUILTIN_CALIBRATION.systems.filter((s) => s.id !== 'h200_sxm' && s.id !== 'b300_sxm') };
    const peaks = (r: typeof h200) => ({
      flopsPerS: { bf16: r.bf16FlopsPerS, fp8: r.fp8FlopsPerS, fp4: r.fp4FlopsPerS ?? r.fp8FlopsPerS, int8: r.int8FlopsPerS },
      memBytesPerS: r.memBytesPerS,
    });
    assert.equal(nearestSystem(peaks(h200), others)?.system.id, 'h100_sxm');
    assert.equal(nearestSystem(peaks(h200), others)?.sibling, false, 'H200 streams 43 % faster than H100');
    // A Blackwell-class chip with fp4 lands on a Blackwell system although a Hopper one is as close in bf16 rate.
    const blackwellLike = { ...peaks(b200), flopsPerS: { ...peaks(b200).flopsPerS, bf16: 1.2e15, fp8: 2.4e15 }, memBytesPerS: 4.8e12 };
    assert.equal(nearestSystem(blackwellLike, others)?.system.id, 'b200_sxm');
    assert.equal(nearestSystem(peaks(h200), { ...others, systems: [] }), null);
  });

  it('transfer curves place an unmeasured chip relative to its own ridge point', () => {
    const c = BUILTIN_CALIBRATION.generic.gemm.bf16;
    const w = gemmWork(1, 8192, 8192, 'bf16');
    const slow = transferTimeS(c, w, { flopsPerS: { bf16: 1e15, fp8: 2e15, fp4: 4e15, int8: 2e15 }, memBytesPerS: 2e12 });
    const fast = transferTimeS(c, w, { flopsPerS: { bf16: 1e15, fp8: 2e15, fp4: 4e15, int8: 2e15 }, memBytesPerS: 4e12 });
    // memory-bound: doubling bandwidth halves everything but the fixed t0
    assert.ok(Math.abs((slow - c.t0S) / (fast - c.t0S) - 2) < 0.02);
    assert.ok(c.effMemory > 0.6 && c.effMemory < 1 && c.effCompute > 0.6 && c.effCompute <= 1);
  });
});
