/**
 * The SIMD byte-sum kernel as a tiny WebAssembly module, assembled here so
 * its instructions stay readable (no toolchain, no opaque blob).
 *
 *   (func (export "sum8") (param $p i32) (param $n i32) (result i32)
 *     ;; only the sum modulo 256 is wanted, so bytes are added in 16 byte
 *     ;; lanes that simply wrap (i8x16.add): four independent accumulators
 *     ;; while 64 bytes remain, then one vector per step, then the lanes
 *     ;; widened and added into one i32, then the last n % 16 bytes singly.
 *     ;; The result is congruent to the byte sum modulo 256 (callers mask it).
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
const i32 = (v: number) => [0x41, ...sleb(v)];
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_AND = 0x71;
const I32_LT_U = 0x49;
const I32_GE_U = 0x4f;
const I32_LOAD8_U = [0x2d, 0x00, 0x00];
const simd = (op: number) => [0xfd, ...leb(op)];
const V128_LOAD = [...simd(0x00), 0x00, 0x00];
const v128LoadAt = (offset: number) => [...simd(0x00), 0x00, ...leb(offset)];
const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const I16X8_EXTADD_PAIRWISE_I8X16_U = simd(0x7d);
const I32X4_EXTADD_PAIRWISE_I16X8_U = simd(0x7f);
const I8X16_ADD = simd(110);
const i32x4ExtractLane = (lane: number) => [...simd(0x1b), lane];

// params: 0 p, 1 n. locals: 2 end, 3 end64, 4 sum (i32); 5-8 four accumulators (v128)
const P = 0, N = 1, E = 2, END64 = 3, SUM = 4, A0 = 5, A1 = 6, A2 = 7, A3 = 8;

const body = [
  ...get(P), ...get(N), I32_ADD, ...set(E),
  ...get(P), ...get(N), ...i32(-64), I32_AND, I32_ADD, ...set(END64),
  ...V128_ZERO, ...set(A0), ...V128_ZERO, ...set(A1), ...V128_ZERO, ...set(A2), ...V128_ZERO, ...set(A3),
  // 64 bytes per step into four wrapping accumulators (no dependency between them)
  ...BLOCK,
  ...LOOP,
  ...get(P), ...get(END64), I32_GE_U, ...brIf(1),
  ...get(A0), ...get(P), ...v128LoadAt(0), ...I8X16_ADD, ...set(A0),
  ...get(A1), ...get(P), ...v128LoadAt(16), ...I8X16_ADD, ...set(A1),
  ...get(A2), ...get(P), ...v128LoadAt(32), ...I8X16_ADD, ...set(A2),
  ...get(A3), ...get(P), ...v128LoadAt(48), ...I8X16_ADD, ...set(A3),
  ...get(P), ...i32(64), I32_ADD, ...set(P),
  ...br(0),
  END,
  END,
  ...get(A0), ...get(A1), ...I8X16_ADD, ...get(A2), ...get(A3), ...I8X16_ADD, ...I8X16_ADD, ...set(A0),
  // then a vector per step while 16 bytes remain
  ...BLOCK,
  ...LOOP,
  ...get(E), ...get(P), I32_SUB, ...i32(16), I32_LT_U, ...brIf(1),
  ...get(A0), ...get(P), ...V128_LOAD, ...I8X16_ADD, ...set(A0),
  ...get(P), ...i32(16), I32_ADD, ...set(P),
  ...br(0),
  END,
  END,
  // the sixteen lanes into one i32 (each lane below 256: no overflow)
  ...get(A0), ...I16X8_EXTADD_PAIRWISE_I8X16_U, ...I32X4_EXTADD_PAIRWISE_I16X8_U, ...set(A0),
  ...get(A0), ...i32x4ExtractLane(0), ...get(A0), ...i32x4ExtractLane(1), I32_ADD,
  ...get(A0), ...i32x4ExtractLane(2), I32_ADD, ...get(A0), ...i32x4ExtractLane(3), I32_ADD, ...set(SUM),
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
const LOCALS = [2, 3, 0x7f, 4, 0x7b]; // 3 x i32, 4 x v128

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
