/**
 * `--place FILE=ADDR` as one wrapper around a firmware's own allocator:
 * a pinned file gets its address, which the allocator then treats as taken;
 * any other file is the allocator's. Every executor allocates through it,
 * so no executor looks the placements up itself.
 */
import { UsageError } from '../errors.js';

/** What a firmware's allocator offers the wrapper. */
export interface BaseAllocator<Request> {
  readonly name: string;
  allocate(size: number, request: Request): number | undefined;
  /**
   * Marks [start, end) taken: 'taken' when it lay in free space, 'outside'
   * when the allocator does not manage it (a pin elsewhere in RAM), 'overlap'
   * when part of it is already allocated.
   */
  claim?(start: number, end: number): 'taken' | 'outside' | 'overlap';
}

export interface PlacedAllocator<Request> {
  /** The base for `file`: its pin, else the allocator's choice (undefined: no room). */
  allocate(file: string, size: number, request: Request): number | undefined;
}

/** The firmware's allocator with the run's placements applied (the one place pins are looked up). */
export function placed<Request>(allocator: BaseAllocator<Request>, placements: ReadonlyMap<string, number> | undefined): PlacedAllocator<Request> {
  if (placements === undefined || placements.size === 0) return { allocate: (_file, size, request) => allocator.allocate(size, request) };
  return {
    allocate(file, size, request) {
      const pin = placements.get(file);
      if (pin === undefined) return allocator.allocate(size, request);
      if (allocator.claim?.(pin, pin + size) === 'overlap') {
        throw new UsageError('PLACE_OVERLAP', `--place ${file}=0x${pin.toString(16)}: [0x${pin.toString(16)}, 0x${(pin + size).toString(16)}) overlaps what ${allocator.name} already allocated`);
      }
      return pin;
    },
  };
}
