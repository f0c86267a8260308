// Minimal typings for the parts of buffer-layout (pabigot, 1.2) this project uses.
declare module 'buffer-layout' {
  export class Layout<T = unknown> {
    span: number;
    property?: string;
    decode(b: Buffer, offset?: number): T;
    encode(src: T, b: Buffer, offset?: number): number;
    getSpan(b?: Buffer, offset?: number): number;
  }
  export class Structure<T = Record<string, unknown>> extends Layout<T> {
    fields: Layout[];
    offsetOf(property: string): number | undefined;
    layoutFor(property: string): Layout | undefined;
  }
  export class Blob extends Layout<Buffer> {}
  export class UInt extends Layout<number> {}
  export class Union<T = Record<string, unknown>> extends Layout<T> {
    addVariant(variant: number, layout: Layout, property: string): VariantLayout;
    getVariant(vb: Buffer, offset?: number): VariantLayout | undefined;
    registry: Record<number, VariantLayout>;
  }
  export class VariantLayout extends Layout {
    variant: number;
    layout: Layout | null;
  }
  export function struct<T = Record<string, unknown>>(fields: Layout[], property?: string): Structure<T>;
  export function union<T = Record<string, unknown>>(discr: Layout<number>, defaultLayout?: Layout | null, property?: string): Union<T>;
  export function blob(length: number, property?: string): Blob;
  export function u8(property?: string): UInt;
  export function u32(property?: string): UInt;
  export function u32be(property?: string): UInt;
  export function u16be(property?: string): UInt;
  export function seq<T>(elementLayout: Layout<T>, count: number, property?: string): Layout<T[]>;
  const _default: {
    struct: typeof struct;
    union: typeof union;
    blob: typeof blob;
    u8: typeof u8;
    u32: typeof u32;
    u32be: typeof u32be;
    u16be: typeof u16be;
    seq: typeof seq;
  };
  export default _default;
}
