/** Unit constants. Quantities carry their unit in their name (`latencyS`, `capacityBytes`); these convert. */
export const KB = 1e3;
export const MB = 1e6;
export const GB = 1e9;
export const TB = 1e12;
export const GiB = 1024 ** 3;
export const TFLOPS = 1e12;
export const MS_PER_S = 1e3;
export const US_PER_S = 1e6;
export const S_PER_HOUR = 3600;

/** Storage and compute precisions phasewise knows about. */
export const DTYPES = ['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'fp4', 'int4'] as const;
export type Dtype = (typeof DTYPES)[number];

/** Bytes per element; fp4/int4 count their packing scale overhead separately where it matters. */
export const BYTES_PER_ELEMENT: Readonly<Record<Dtype, number>> = {
  fp32: 4,
  bf16: 2,
  fp16: 2,
  fp8: 1,
  int8: 1,
  fp4: 0.5,
  int4: 0.5,
};

export function isDtype(s: string): s is Dtype {
  return (DTYPES as readonly string[]).includes(s);
}
