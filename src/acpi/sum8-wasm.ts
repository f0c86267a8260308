/**
 * The SIMD byte-sum kernel as a tiny WebAssembly module, assembled here so
 * its instructions stay readable (no toolchain, no opaque blob).
 *
 *   (func (export "sum8") (param $p i32) (param $n i32) (result i32)
 *     ;; 16 bytes at a time: pairwise-add bytes into eight 16-bit lanes,
 *     ;; at most 128 vectors per block (128 * 510 < 65536), then widen the
 *     ;; lanes into four 32-bit totals; the last n % 16 bytes one by one.
 *     ;; Inside a block, four vectors per step while 64 bytes remain (their
 *     ;; lanes added pairwise first: one dependent add on the accumulator
 *     ;; per 64 bytes instead of per 16), then a vector per step.
 *
 * It imports its memory ("env" "mem"), so one compiled module serves every
 * guest-memory region.
 */

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const section = (id: number, bytes: number[]) => [id, ...leb(bytes.length), ...bytes];
const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

// opcodes
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = 0x0b;
const br = (depth: number) => [0x0c, depth];
const brIf = (depth: number) => [0x0d, depth];
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (v: number) => [0x41, ...sleb(v)];
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_AND = 0x71;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const SELECT = 0x1b;
const I32_LOAD8_U = [0x2d, 0x00, 0x00];
const simd = (op: number) => [0xfd, ...leb(op)];
const V128_LOAD = [...simd(0x00), 0x00, 0x00];
const v128LoadAt = (offset: number) => [...simd(0x00), 0x00, ...leb(offset)];
const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const I16X8_EXTADD_PAIRWISE_I8X16_U = simd(0x7d);
const I32X4_EXTADD_PAIRWISE_I16X8_U = simd(0x7f);
const I16X8_ADD = simd(142);
const I32X4_ADD = simd(174);
const i32x4ExtractLane = (lane: number) => [...simd(0x1b), lane];

// params: 0 p, 1 n. locals: 2 end16, 3 blockEnd, 4 acc16 (v128), 5 acc32 (v128), 6 sum, 7 end
const P = 0, N = 1, END16 = 2, BLOCK_END = 3, ACC16 = 4, ACC32 = 5, SUM = 6, E = 7;

const body = [
  ...get(P), ...get(N), I32_ADD, ...set(E),
  ...get(P), ...get(N), ...i32(-16), I32_AND, I32_ADD, ...set(END16),
  ...V128_ZERO, ...set(ACC32),
  ...BLOCK,
  ...LOOP,
  ...get(P), ...get(END16), I32_GE_U, ...brIf(1),
  // blockEnd = min(p + 128 * 16, end16)
  ...get(P), ...i32(2048), I32_ADD, ...tee(BLOCK_END), ...get(END16), ...get(BLOCK_END), ...get(END16), I32_LT_U, SELECT, ...set(BLOCK_END),
  ...V128_ZERO, ...set(ACC16),
  // four vectors per step while blockEnd - p >= 64
  ...BLOCK,
  ...LOOP,
  ...get(BLOCK_END), ...get(P), I32_SUB, ...i32(64), I32_LT_U, ...brIf(1),
  ...get(ACC16),
  ...get(P), ...v128LoadAt(0), ...I16X8_EXTADD_PAIRWISE_I8X16_U, ...get(P), ...v128LoadAt(16), ...I16X8_EXTADD_PAIRWISE_I8X16_U, ...I16X8_ADD,
  ...get(P), ...v128LoadAt(32), ...I16X8_EXTADD_PAIRWISE_I8X16_U, ...get(P), ...v128LoadAt(48), ...I16X8_EXTADD_PAIRWISE_I8X16_U, ...I16X8_ADD,
  ...I16X8_ADD, ...I16X8_ADD, ...set(ACC16),
  ...get(P), ...i32(64), I32_ADD, ...set(P),
  ...br(0),
  END,
  END,
  // the rest of the block, a vector per step
  ...BLOCK,
  ...LOOP,
  ...get(P), ...get(BLOCK_END), I32_GE_U, ...brIf(1),
  ...get(ACC16), ...get(P), ...V128_LOAD, ...I16X8_EXTADD_PAIRWISE_I8X16_U, ...I16X8_ADD, ...set(ACC16),
  ...get(P), ...i32(16), I32_ADD, ...set(P),
  ...br(0),
  END,
  END,
  ...get(ACC32), ...get(ACC16), ...I32X4_EXTADD_PAIRWISE_I16X8_U, ...I32X4_ADD, ...set(ACC32),
  ...br(0),
  END,
  END,
  ...get(ACC32), ...i32x4ExtractLane(0), ...get(ACC32), ...i32x4ExtractLane(1), I32_ADD,
  ...get(ACC32), ...i32x4ExtractLane(2), I32_ADD, ...get(ACC32), ...i32x4ExtractLane(3), I32_ADD, ...set(SUM),
  ...BLOCK,
  ...LOOP,
  ...get(P), ...get(E), I32_GE_U, ...brIf(1),
  ...get(SUM), ...get(P), ...I32_LOAD8_U, I32_ADD, ...set(SUM),
  ...get(P), ...i32(1), I32_ADD, ...set(P),
  ...br(0),
  END,
  END,
  ...get(SUM),
  END,
];
const LOCALS = [3, 2, 0x7f, 2, 0x7b, 2, 0x7f]; // 2 x i32, 2 x v128, 2 x i32

let cached: Uint8Array | undefined;

export function sum8Module(): Uint8Array {
  if (cached !== undefined) return cached;
  const func = [...LOCALS, ...body];
  cached = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]), // type: (i32, i32) -> i32
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x01]), // import memory, min 1 page
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('sum8'), 0x00, 0]),
    ...section(10, [1, ...leb(func.length), ...func]),
  ]);
  return cached;
}
