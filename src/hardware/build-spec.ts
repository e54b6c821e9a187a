/**
 * The editorial layer of the catalog build: which accelerators.json entry and which aiconfigurator systems file
 * each device comes from, its ids, and what the sources say about a figure that the raw fields do not (a value
 * quoted only in an entry's notes, a unit the notes state in GiB, a derivation). `build.ts` applies it;
 * nothing here is read at run time.
 */
import type { ComputeDtype, TierKind } from './types.js';

/** The Figure-valued slots of a Device, as keys for per-figure notes, citations and extra values. */
export type FigureSlot =
  | `flops.${ComputeDtype}`
  | `${TierKind}.capacity`
  | `${TierKind}.bandwidth`
  | 'scaleUp.bandwidth'
  | 'scaleUp.latency'
  | 'scaleUp.domainChips'
  | 'scaleUp.pointToPointLinks'
  | 'scaleOut.bandwidth'
  | 'scaleOut.latency'
  | 'power'
  | 'price'
  | 'dataflow.opLatency';

/** A value the entry's fields lack but its notes (or another entry) give; `value` in base units. */
export interface ExtraFigure {
  readonly value: number;
  readonly note: string;
  /** Cite the sources of this other accelerators.json entry instead of the device's own. */
  readonly sourceEntry?: string;
  /** Cite these URLs (pages the entry does not list) instead of the device's own sources. */
  readonly source?: string;
}

export interface DeviceSpec {
  readonly id: string;
  /** `name` of the accelerators.json entry. */
  readonly entryName: string;
  /** aiconfigurator systems file, for the NVIDIA GPUs it describes. */
  readonly yaml?: string;
  readonly aliases: readonly string[];
  readonly weightsInSramOnly: boolean;
  /** Tiers whose size the entry's notes give in MiB/GiB although the field is named `_mb`/`_gb`. */
  readonly binaryUnits?: readonly ('sram' | 'hbm')[];
  /** How to read `scaleup_gbps`: a per-chip bidirectional total (default) or a rack-internal aggregate (unused). */
  readonly scaleUpQuote?: 'bidirectional' | 'rack-internal';
  /** The entry's `hbm_*` fields describe this tier instead (d-Matrix's LPDDR). */
  readonly hbmFieldsAre?: 'dram';
  /** Tiers the sources say the chip does not have, with the words that say so. */
  readonly absentTiers?: Partial<Record<TierKind, string>>;
  /**
   * URL substrings choosing which of the entry's sources back a figure (`default` for all figures without their
   * own); without any, a figure cites all of the entry's sources. The build fails if a hint matches nothing.
   */
  readonly cite?: Partial<Record<FigureSlot | 'default', readonly string[]>>;
  readonly notes?: Partial<Record<FigureSlot, string>>;
  readonly extra?: Partial<Record<FigureSlot, ExtraFigure>>;
  /** Added to the entry's own notes in `Device.notes`. */
  readonly deviceNote?: string;
}

const HBM_GPU_L2 = 'hardware-managed cache, not a tier weights can be placed in';
/** AMD's 8-GPU Infinity Fabric platforms: GPUs wired to each other directly, no switch. */
const IF_MESH_SOURCE = 'https://www.wheelersnetwork.com/2024/01/';
const IF_MESH = 'Each GPU has up to seven 16-lane Infinity Fabric links and the GPUs connect directly, in a mesh (wheelersnetwork, MI300 generation): a pair of GPUs talks over one link.';
/** A GPU that aiconfigurator's systems files describe but whose kernels were not measured here. */
const BORROWS_NEAREST_TABLES = 'No operator tables of its own: the performance model borrows the nearest measured system\'s (docs/perf.md, "Transfer curves").';
const ICI_TORUS = 'ICI torus: the pod is the ICI domain; per-chip bandwidth is spread over the torus ports, not per pair.';

export const DEVICE_SPECS: readonly DeviceSpec[] = [
  {
    id: 'a100',
    entryName: 'NVIDIA A100 80GB SXM4',
    yaml: 'a100_sxm.yaml',
    aliases: ['a100_sxm', 'a100-sxm', 'a100-sxm4', 'a100-80gb'],
    weightsInSramOnly: false,
    cite: { default: ['glennklockwood', 'thundercompute'], price: ['mercatus'] },
    notes: {
      'flops.fp8': 'Ampere has no FP8 tensor cores.',
      'sram.capacity': `40 MB L2 cache (SMEM/L1 not counted); ${HBM_GPU_L2}.`,
      'sram.bandwidth': 'L2 bandwidth is not in the sources.',
    },
  },
  {
    id: 'h100',
    entryName: 'NVIDIA H100 SXM5 80GB',
    yaml: 'h100_sxm.yaml',
    aliases: ['h100_sxm', 'h100-sxm', 'h100-sxm5', 'h100-80gb'],
    weightsInSramOnly: false,
    cite: { default: ['glennklockwood', 'awesomeagents', 'lzwjava'], price: ['deploybase', 'gpu.blog', 'mercatus'] },
    notes: {
      'flops.bf16': 'Dense; the NVIDIA datasheet headline 1,979 TFLOPS includes 2:4 sparsity.',
      'flops.fp8': 'Dense; the NVIDIA datasheet headline 3,958 TFLOPS includes 2:4 sparsity.',
      'sram.capacity': 'The 50 MB L2 is not in a stored source (and is a hardware-managed cache).',
      price: '$2.69/h = RunPod (deploybase); $1.90 Hyperstack (gpu.blog) to $5.00 hyperscaler (Mercatus).',
    },
  },
  {
    id: 'h200',
    entryName: 'NVIDIA H200 SXM 141GB',
    yaml: 'h200_sxm.yaml',
    aliases: ['h200_sxm', 'h200-sxm', 'h200-141gb'],
    weightsInSramOnly: false,
    cite: {
      default: ['lzwjava', 'aiminingco', 'glennklockwood'],
      price: ['deploybase', 'spheron', 'packet.ai', 'mercatus'],
    },
    notes: {
      'flops.bf16': 'Copied from H100: same GH100 compute (the sources give H100\'s sparse figures).',
      'flops.fp8': 'Copied from H100: same GH100 compute (the sources give H100\'s sparse FP8 3,958 TFLOPS).',
      price: '$3.59/h RunPod (deploybase); Spheron $4.54 (Mar 2026); packet.ai $2.25 (Jun 2026); AWS $8.00-14.24.',
    },
  },
  {
    id: 'b200',
    entryName: 'NVIDIA B200 (HGX/DGX, 1000 W)',
    yaml: 'b200_sxm.yaml',
    aliases: ['b200_sxm', 'b200-sxm', 'b200-180gb'],
    weightsInSramOnly: false,
    cite: { default: ['glennklockwood', 'verda'], price: ['deploybase', 'spheron', 'lyceum', 'packet.ai'] },
    notes: {
      'hbm.capacity': 'Klockwood lists 192 GB physical (8 stacks); 180 GB is what DGX B200 exposes.',
      price: 'RunPod $5.98 (deploybase); Spheron $6.03; specialized clouds $4.50-6.00, spot from $2.25 (Lyceum); packet.ai $3.75.',
    },
  },
  {
    id: 'gb200',
    entryName: 'NVIDIA GB200 (per Blackwell GPU in NVL72, 1200 W)',
    yaml: 'gb200.yaml',
    aliases: ['gb200-nvl72', 'gb200_nvl72', 'gb200-186gb'],
    weightsInSramOnly: false,
    cite: { default: ['glennklockwood', 'aiwiki'], price: ['spheron'] },
    notes: {
      'flops.bf16': 'Per GPU at 1,200 W (Klockwood); Verda lists 2.25 PF (conflict).',
      'flops.fp8': 'Per GPU at 1,200 W (Klockwood); Verda lists 4.5 PF (conflict).',
      'flops.fp4': 'Per GPU at 1,200 W (Klockwood); Verda lists 9 PF (conflict).',
      price: 'Derived: Spheron $9.08/h per GB200 Superchip (1 Grace + 2 GPUs) / 2.',
    },
  },
  {
    id: 'b300',
    entryName: 'NVIDIA B300 (HGX Blackwell Ultra)',
    yaml: 'b300_sxm.yaml',
    aliases: ['b300_sxm', 'b300-sxm'],
    weightsInSramOnly: false,
    notes: { 'flops.int8': 'Blackwell Ultra cuts dense INT8 to a small fraction of FP8.' },
  },
  {
    id: 'gb300',
    entryName: 'NVIDIA GB300 (per Blackwell Ultra GPU in NVL72)',
    yaml: 'gb300.yaml',
    aliases: ['gb300-nvl72', 'gb300_nvl72'],
    weightsInSramOnly: false,
    notes: { 'flops.int8': 'Blackwell Ultra cuts dense INT8 to a small fraction of FP8.' },
  },
  {
    id: 'l40s',
    entryName: 'NVIDIA L40S (48 GB GDDR6, PCIe)',
    yaml: 'l40s.yaml',
    aliases: ['l40s-48gb', 'l40s_pcie'],
    weightsInSramOnly: false,
    deviceNote: BORROWS_NEAREST_TABLES,
  },
  {
    id: 'l4',
    entryName: 'NVIDIA L4 (24 GB GDDR6, PCIe)',
    yaml: 'l4.yaml',
    aliases: ['l4-24gb', 'l4_pcie'],
    weightsInSramOnly: false,
    deviceNote: BORROWS_NEAREST_TABLES,
  },
  {
    id: 'h100-pcie',
    entryName: 'NVIDIA H100 PCIe 80GB',
    yaml: 'h100_pcie.yaml',
    aliases: ['h100_pcie', 'h100-pcie-80gb'],
    weightsInSramOnly: false,
    deviceNote: BORROWS_NEAREST_TABLES,
  },
  {
    id: 'a100-pcie',
    entryName: 'NVIDIA A100 80GB PCIe',
    yaml: 'a100_pcie.yaml',
    aliases: ['a100_pcie', 'a100-pcie-80gb'],
    weightsInSramOnly: false,
    deviceNote: BORROWS_NEAREST_TABLES,
  },
  {
    id: 'a30',
    entryName: 'NVIDIA A30 24GB PCIe',
    yaml: 'a30.yaml',
    aliases: ['a30-24gb', 'a30_pcie'],
    weightsInSramOnly: false,
    deviceNote: BORROWS_NEAREST_TABLES,
  },
  {
    id: 'rtx-pro-6000',
    entryName: 'NVIDIA RTX PRO 6000 Blackwell Server Edition',
    yaml: 'rtx_pro_6000_server.yaml',
    aliases: ['rtx_pro_6000_server', 'rtx-pro-6000-server', 'rtx_pro_6000'],
    weightsInSramOnly: false,
    deviceNote: BORROWS_NEAREST_TABLES,
  },
  {
    id: 'arc-pro-b60',
    entryName: 'Intel Arc Pro B60 (24 GB GDDR6)',
    yaml: 'b60.yaml',
    aliases: ['b60', 'arc_pro_b60'],
    weightsInSramOnly: false,
    deviceNote: 'Another vendor\'s GPU without operator tables: the performance model runs the transfer curves.',
  },
  {
    id: 'rubin',
    entryName: 'NVIDIA Rubin GPU (VR200, as announced)',
    aliases: ['vr200', 'rubin-gpu', 'vera-rubin'],
    weightsInSramOnly: false,
    cite: {
      default: ['transurfing', 'imgtag', 'zerocostfreehost'],
      'flops.fp4': ['transurfing'],
      'hbm.capacity': ['imgtag', 'zerocostfreehost'],
      'hbm.bandwidth': ['imgtag', 'zerocostfreehost'],
      'scaleUp.bandwidth': ['imgtag'],
      'scaleUp.domainChips': ['imgtag', 'zerocostfreehost'],
    },
    notes: {
      'flops.fp4':
        'Preliminary: 35 PF dense FP4 (3.5x GB200) per transurfing-volatility; NVIDIA\'s headline 50 PF NVFP4 "inference" per GPU is not used.',
      'flops.bf16': 'Not confirmed: mirrorfrog claims BF16 12.5 PF (unverified).',
      'flops.fp8': 'Not confirmed: mirrorfrog claims FP8 25 PF sparse (unverified).',
      power: 'mirrorfrog claims ~1.8 kW (unverified).',
    },
    extra: {
      'scaleUp.domainChips': {
        value: 72,
        note: 'Vera Rubin NVL72 (the LPX entry: "deployed beside Vera Rubin NVL72"; rack NVLink 260 TB/s / 3.6 TB/s per GPU = 72). NVIDIA also names the rack NVL144, counting dies.',
      },
    },
  },
  {
    id: 'rubin-cpx',
    entryName: 'NVIDIA Rubin CPX (GDDR7 context GPU, as announced)',
    aliases: ['cpx', 'rubincpx', 'vera-rubin-cpx'],
    weightsInSramOnly: false,
    cite: {
      default: ['awesomeagents'],
      'hbm.capacity': ['awesomeagents', 'hackster', 'particle.news'],
    },
    notes: {
      'flops.fp4': 'Dense per awesomeagents (~20 PF); NVIDIA\'s headline 30 PF NVFP4 (hackster, particle.news) is what awesomeagents calls sparse.',
      'hbm.capacity': 'GDDR7, not HBM: the GPU\'s main memory is filed as its hbm tier.',
      'hbm.bandwidth': 'GDDR7 "roughly 2 TB/s" (awesomeagents, approximate; NVIDIA gives no per-GPU figure).',
      'scaleUp.bandwidth': 'No NVLink: PCIe Gen 6 only (awesomeagents).',
    },
    extra: {
      'scaleOut.bandwidth': {
        value: 128e9,
        note: 'Derived: PCIe Gen 6 (awesomeagents) at ×16 = 64 GT/s × 16 lanes ≈ 128 GB/s per direction; the lane count is assumed (a full-width slot).',
      },
    },
  },
  {
    id: 'mi300x',
    entryName: 'AMD Instinct MI300X',
    aliases: ['mi300', 'mi300-x', 'instinct-mi300x'],
    weightsInSramOnly: false,
    cite: {
      'flops.bf16': ['jaredwatkins', 'amd-mi325x'],
      'flops.fp8': ['jaredwatkins', 'amd-mi325x'],
      'scaleUp.bandwidth': ['gpu.blog'],
      'scaleUp.domainChips': ['amd-mi325x'],
      price: ['gpu.blog'],
    },
    notes: {
      'flops.bf16': 'Exact figure from the MI325X spec page, which states compute is unchanged from MI300X (304 CUs); jaredwatkins gives ~1.3 PF.',
      'flops.fp8': 'Exact figure from the MI325X spec page, which states compute is unchanged from MI300X (304 CUs); jaredwatkins gives ~2.6 PF.',
      'sram.capacity': 'The 256 MB Infinity Cache is not confirmed for MI300X in a stored source.',
      price: '$1.71 TensorWave / $1.85 Vultr (gpu.blog).',
    },
    extra: {
      'scaleUp.domainChips': {
        value: 8,
        note: '8-GPU Infinity Fabric platform, as the MI325X entry states for the same platform (7 links, ring/mesh of 8).',
      },
      'scaleUp.pointToPointLinks': {
        value: 7,
        source: IF_MESH_SOURCE,
        note: `${IF_MESH} 7 × 128 GB/s bidirectional per link = the 896 GB/s total of the scale-up figure.`,
      },
    },
  },
  {
    id: 'mi325x',
    entryName: 'AMD Instinct MI325X',
    aliases: ['mi325', 'instinct-mi325x'],
    weightsInSramOnly: false,
    binaryUnits: ['sram'],
    cite: { 'sram.capacity': ['rocm'], power: ['yobitel'], price: ['awesomeagents'] },
    notes: {
      'sram.capacity': `256 MiB Infinity Cache (ROCm gpu-specs "L3"); ${HBM_GPU_L2}.`,
    },
    extra: {
      'scaleUp.domainChips': { value: 8, note: '7 Infinity Fabric links per GPU: a ring/mesh of 8.' },
      'scaleUp.bandwidth': {
        value: 448e9,
        source: `https://wiaix.com/amd-instincttm-mi325x-accelerators; ${IF_MESH_SOURCE}`,
        note:
          'Derived: 7 Infinity Fabric links connecting the 8 GPUs (wiaix, which also calls the platform a drop-in replacement for the MI300X platform) × 128 GB/s bidirectional per 4th-gen link (wheelersnetwork, MI300 generation) = 896 GB/s bidirectional, 448 per direction.',
      },
      'scaleUp.pointToPointLinks': { value: 7, source: `https://wiaix.com/amd-instincttm-mi325x-accelerators; ${IF_MESH_SOURCE}`, note: IF_MESH },
    },
  },
  {
    id: 'mi355x',
    entryName: 'AMD Instinct MI355X',
    aliases: ['mi355', 'instinct-mi355x'],
    weightsInSramOnly: false,
    binaryUnits: ['sram'],
    cite: {
      'flops.fp8': ['world-today-news'],
      'flops.fp4': ['theregister', 'tomshardware'],
      'sram.capacity': ['rocm'],
      power: ['tomshardware'],
      'scaleUp.domainChips': ['humeconsulting'],
    },
    notes: {
      'flops.fp8': '~5 PF (ISSCC 2026: 8,192 FP8 FLOP/clk/CU, 256 CUs).',
      'flops.fp4': 'FP4/FP6 dense; 20.1 PF with sparsity.',
      'flops.bf16': 'Dense BF16 not in a stored source (The Register: "at FP8/FP16/BF16 AMD and Nvidia are in a dead heat").',
      'sram.capacity': `256 MiB L3 Infinity Cache per ROCm gpu-specs (a Boston blog says 64 MB: conflict); ${HBM_GPU_L2}.`,
    },
    extra: {
      'scaleUp.domainChips': { value: 8, note: '8-GPU scale-up domain (humeconsulting).' },
      'scaleUp.bandwidth': {
        value: 535.5e9,
        source: 'https://humeconsulting.co/amd-mi355x-strong-node-level-inference-but-not-yet-rack-scale',
        note:
          'Derived: Infinity Fabric ~153 GB/s bidirectional per link (humeconsulting) × 7 links = 1,071 GB/s bidirectional, 535.5 per direction. The link count is assumed: no stored source states it for MI355X; 7 is what a direct mesh of its 8-GPU domain takes, as on MI300X/MI325X.',
      },
      'scaleUp.pointToPointLinks': {
        value: 7,
        source: `https://humeconsulting.co/amd-mi355x-strong-node-level-inference-but-not-yet-rack-scale; ${IF_MESH_SOURCE}`,
        note: `Assumed: wired as the MI300 generation's platform is. ${IF_MESH}`,
      },
    },
  },
  {
    id: 'tpu-v5e',
    entryName: 'Google TPU v5e',
    aliases: ['v5e', 'tpu_v5e', 'tpuv5e', 'tpu-v5-lite'],
    weightsInSramOnly: false,
    notes: {
      'flops.fp8': 'No FP8 listed.',
      'hbm.bandwidth': '819 GBps (another version of the page: 800 GiBps).',
      'scaleUp.bandwidth': 'ICI 400 GBps bidirectional per chip (1,600 Gbps), 4 ports.',
    },
    extra: {
      'flops.int8': { value: 393e12, note: 'INT8 393 TOPS, from the entry\'s notes.' },
      'scaleUp.domainChips': { value: 256, note: `256-chip pod, 2D torus. ${ICI_TORUS}` },
    },
  },
  {
    id: 'tpu-v6e',
    entryName: 'Google TPU v6e (Trillium)',
    aliases: ['v6e', 'tpu-v6', 'tpu_v6e', 'tpuv6e', 'trillium'],
    weightsInSramOnly: false,
    notes: { 'scaleUp.bandwidth': 'ICI 800 GBps bidirectional per chip, 4 ports.' },
    extra: {
      'flops.int8': { value: 1836e12, note: 'INT8 1,836 TOPS, from the entry\'s notes.' },
      'scaleUp.domainChips': { value: 256, note: `256-chip pod, 2D torus (8 chips per host). ${ICI_TORUS}` },
    },
  },
  {
    id: 'tpu-v5p',
    entryName: 'Google TPU v5p',
    aliases: ['v5p', 'tpu_v5p', 'tpuv5p'],
    weightsInSramOnly: false,
    binaryUnits: ['hbm'],
    notes: {
      'flops.fp8': 'Equal to the BF16 rate in the source entry.',
      'hbm.capacity': '95 GiB usable of 96 GiB physical.',
      'scaleUp.bandwidth': 'Direction not stated in the entry; read as bidirectional like the v5e/v6e pages.',
    },
    extra: { 'scaleUp.domainChips': { value: 8960, note: `8,960-chip pod, 3D torus. ${ICI_TORUS}` } },
  },
  {
    id: 'tpu7x',
    entryName: 'Google TPU7x (Ironwood)',
    aliases: ['ironwood', 'tpu-v7', 'tpu-7x', 'tpu_v7x', 'tpuv7', 'tpu7'],
    weightsInSramOnly: false,
    binaryUnits: ['hbm'],
    cite: {
      default: ['tpu7x', 'ironwood-performance'],
      'hbm.bandwidth': ['mattfife'],
      'scaleUp.bandwidth': ['mattfife'],
    },
    notes: {
      'hbm.bandwidth': 'Hot Chips 2025 coverage (mattfife/TechRadar).',
      'scaleUp.bandwidth':
        '1.2 TB/s I/O (ICI) per Hot Chips 2025 coverage (some reprints say "1.2 Tbps"); read as bidirectional like the v5e/v6e pages.',
    },
    extra: { 'scaleUp.domainChips': { value: 9216, note: `9,216-chip pod. ${ICI_TORUS}` } },
  },
  {
    id: 'trn2',
    entryName: 'AWS Trainium2',
    aliases: ['trainium2', 'trainium-2', 'trn-2'],
    weightsInSramOnly: false,
    binaryUnits: ['sram', 'hbm'],
    notes: {
      'sram.capacity': 'SBUF: software-managed on-chip scratchpad, 8 NeuronCores x 28 MiB.',
      'sram.bandwidth': 'SBUF bandwidth is not in the sources.',
      'scaleUp.bandwidth': 'NeuronLink-v3 1.28 TB/s per chip; direction not stated, read as a bidirectional total.',
    },
    extra: {
      'scaleUp.domainChips': { value: 64, note: 'NeuronLink memory pool of up to 64 chips (Trn2 UltraServer).' },
    },
  },
  {
    id: 'trn3',
    entryName: 'AWS Trainium3',
    aliases: ['trainium3', 'trainium-3', 'trn-3'],
    weightsInSramOnly: false,
    binaryUnits: ['sram', 'hbm'],
    notes: {
      'flops.fp8': 'MXFP8.',
      'flops.fp4': 'MXFP4, the same rate as MXFP8.',
      'sram.capacity': 'SBUF: software-managed on-chip scratchpad (8 NeuronCore-v4).',
      'sram.bandwidth': 'SBUF bandwidth is not in the sources.',
      'scaleUp.bandwidth': 'NeuronLink-v4 2.56 TB/s per device; direction not stated, read as a bidirectional total.',
    },
  },
  {
    id: 'groq-lpu-v1',
    entryName: 'Groq LPU v1 (GroqChip / TSP)',
    aliases: ['groq', 'lpu', 'groq-lpu', 'groqchip', 'tsp', 'lpu-v1', 'groq-v1'],
    weightsInSramOnly: true,
    absentTiers: { dram: 'no external DRAM (the entry\'s notes)' },
    notes: {
      'flops.bf16': 'The FP16 figure (188 TFLOPS), taken as the 16-bit rate.',
      power: '~300 W per awesomeagents, unverified.',
    },
    extra: {
      'flops.int8': { value: 750e12, note: 'INT8 750 TOPS, from the entry\'s notes.' },
      'scaleUp.bandwidth': {
        value: 240e9,
        source: 'https://www.linleygroup.com/newsletters/newsletter_detail.php?num=6233',
        note: 'Linley Group (Nov 2020): 16 chip-to-chip links per TSP, each 4 lanes of 30 Gb/s (28 Gb/s when cabled), 480 GB/s in all = 240 GB/s per direction.',
      },
      'scaleUp.latency': {
        value: 3e-6,
        source: 'https://wow.groq.com/isca-2022-paper/',
        note: 'Upper bound: Groq\'s ISCA 2022 paper (abstract): the global memory of up to 10,440 TSPs is "accessible in less than 3 microseconds of end-to-end system latency" — the worst multi-hop path of the largest system, taken for every hop (a one-hop latency is not published).',
      },
      'dataflow.opLatency': {
        value: 320 / 900e6,
        source: 'https://techpowerup.com/news-tags/Processor?page=3; https://wow.groq.com/groq-isca-paper-2020/',
        note: 'Derived: a dependent matrix operation fills the 320-deep MXM (320×320 fused dot-product array, TechPowerUp) at the 900 MHz nominal clock (ISCA 2020 paper abstract): 320 cycles / 900 MHz = 0.36 µs. Vector-unit steps between matmuls are shorter and not counted.',
      },
    },
  },
  {
    id: 'groq3-lpu',
    entryName: 'NVIDIA Groq 3 LPU (LP30)',
    aliases: ['groq3', 'groq-3', 'lp30', 'groq3lpu', 'groq-3-lpu'],
    weightsInSramOnly: true,
    extra: {
      'scaleUp.bandwidth': {
        value: 1.25e12,
        note: 'Derived: the LPX rack\'s 640 TB/s scale-up over 256 LPUs = 2.5 TB/s per LPU (the entry: "derived, not stated"), read as a bidirectional total like NVIDIA\'s NVLink rack figures and halved.',
      },
      'scaleUp.domainChips': { value: 256, note: 'An LPX rack: 256 LPUs on one scale-up fabric.' },
      'dataflow.opLatency': {
        value: 320 / 900e6,
        source: 'https://techpowerup.com/news-tags/Processor?page=3; https://wow.groq.com/groq-isca-paper-2020/',
        note: 'Assumed: the LPU v1 figure (320-deep MXM at 900 MHz = 0.36 µs); Groq 3\'s array size and clock are not published.',
      },
    },
  },
  {
    id: 'groq3-lpx',
    entryName: 'NVIDIA Groq 3 LPX rack (256 LPUs)',
    aliases: ['lpx', 'groq-lpx', 'groq3-lpx-rack', 'lpx-rack'],
    weightsInSramOnly: true,
    scaleUpQuote: 'rack-internal',
    notes: {
      'scaleUp.bandwidth':
        'The entry\'s 640 TB/s is the scale-up fabric inside the rack (256 LPUs), not a link between racks; rack-to-rack bandwidth is not in the sources.',
    },
    extra: {
      'sram.bandwidth': {
        value: 256 * 150e12,
        note: 'Derived: 256 LPUs x 150 TB/s each (groq3-lpu entry); the rack entry gives none.',
        sourceEntry: 'NVIDIA Groq 3 LPU (LP30)',
      },
      'dataflow.opLatency': {
        value: 320 / 900e6,
        source: 'https://techpowerup.com/news-tags/Processor?page=3; https://wow.groq.com/groq-isca-paper-2020/',
        note: 'Assumed: the LPU v1 figure (320-deep MXM at 900 MHz = 0.36 µs); Groq 3\'s array size and clock are not published.',
      },
    },
    deviceNote: 'RACK-LEVEL device: one "chip" of it is a whole LPX rack of 256 LPUs; use groq3-lpu for per-chip planning.',
  },
  {
    id: 'wse3',
    entryName: 'Cerebras WSE-3 (CS-3 system)',
    aliases: ['cerebras', 'cs3', 'cs-3', 'wse-3', 'cerebras-wse3'],
    weightsInSramOnly: true,
    cite: { power: ['awesomeagents', 'spheron'] },
    notes: {
      'flops.bf16': '125 PF "peak AI" FP16 is sparse (The Register: "highly sparse"); the dense rate is not published.',
      'dram.capacity': 'External MemoryX (1.5 TB to 1.2 PB) streams weights for training; not counted as an inference tier.',
      'scaleUp.bandwidth': 'The 214 Pb/s fabric is on-wafer; CS-3 to CS-3 bandwidth is not in the sources.',
      power: 'CS-3 system power, ~23 kW (awesomeagents, spheron); HN commenters say 15-23 kW.',
      price: 'The "$41.96/h CS-3 rental" claim was NOT found in any stored source; purchase ~$2-3M (secondary, unverified).',
    },
    extra: {
      'dataflow.opLatency': {
        value: (2 * Math.sqrt(900_000 / 20)) / 1e9,
        source: 'https://www.tomshardware.com/tech-industry/artificial-intelligence/cerebras-launches-900000-core-125-petaflops-wafer-scale-processor-for-ai-theoretically-equivalent-to-about-62-nvidia-h100-gpus; https://www.emergentmind.com/topics/cerebras-wafer-scale-engine-wse',
        note: 'Assumed (Cerebras publishes no operator latency or WSE-3 clock): a dependent matmul broadcasts its input across the layer\'s region of the 2D PE mesh and reduces the partial sums back, ~2 × √(900,000 PEs / 20 layers per wafer) ≈ 424 neighbour hops at one hop per cycle and an assumed 1 GHz clock = 0.42 µs (a 70B model on 4 wafers holds 20 layers per wafer).',
      },
    },
  },
  {
    id: 'corsair',
    entryName: 'd-Matrix Corsair (per card)',
    aliases: ['d-matrix', 'dmatrix', 'd-matrix-corsair'],
    weightsInSramOnly: false,
    hbmFieldsAre: 'dram',
    absentTiers: { hbm: 'no HBM: its off-chip memory is LPDDR5(X), see the dram tier' },
    notes: {
      'flops.fp8': 'MXINT8 (block-scaled 8-bit integer); d-Matrix quotes no FP8 rate, the entry files MXINT8 as fp8.',
      'flops.fp4': 'MXINT4; the entry files it as fp4.',
      'sram.capacity': '"2 GB" SRAM per card (8 chiplets); the entry gives 2048 MB.',
      'dram.capacity': 'LPDDR5(X) capacity tier; the entry stores it under hbm_gb.',
      'dram.bandwidth': 'LPDDR5(X); the entry stores it under hbm_tbps.',
      'scaleUp.bandwidth': 'PCIe Gen5 card; no chip-to-chip figure in the sources.',
    },
    extra: {
      'flops.int8': { value: 2400e12, note: 'MXINT8 2.4 PF (the same figure the entry files as fp8).' },
      'scaleOut.bandwidth': {
        value: 50e9,
        note: 'JetStream NIC 400 Gb/s (Ethernet line rate, per direction); NICs per card not stated.',
      },
    },
  },
  {
    id: 'sn40l',
    entryName: 'SambaNova SN40L (per socket)',
    aliases: ['sambanova', 'sn40l-rdu', 'rdu', 'sambanova-sn40l'],
    weightsInSramOnly: false,
    notes: {
      'sram.bandwidth': 'Hot Chips 2024 gives only "PBs/s" for 8 GB SRAM across 16 sockets.',
      'hbm.bandwidth': 'Derived: 1 TB HBM @ 25.6 TB/s per 16-socket system / 16 (Hot Chips 2024 slide).',
      'dram.capacity': 'Up to 1.5 TB DDR per socket (24 TB per 16-socket system).',
      'dram.bandwidth': 'Derived: 24 TB DDR @ 1,600 GB/s per 16-socket system / 16 (Hot Chips 2024 slide).',
      power: 'SambaRack SN40L-16 ~10 kW average during inference (aiwiki, units garbled as "kWh"); no per-socket figure.',
    },
  },
  {
    id: 'sohu',
    entryName: 'Etched Sohu',
    aliases: ['etched', 'etched-sohu'],
    weightsInSramOnly: false,
    notes: {
      'hbm.bandwidth': 'Only third-party estimates (4.8 TB/s robotico.market, ~6.03 TB/s mirrorfrog).',
      'flops.fp8': 'No published rate; vendor throughput claims only (8xSohu >500,000 tok/s Llama-70B, unverified).',
    },
  },
  {
    id: 'matx-one',
    entryName: 'MatX One',
    aliases: ['matx', 'matx1'],
    weightsInSramOnly: false,
    deviceNote: 'No numeric specs published: every figure is null until overridden.',
  },
];
