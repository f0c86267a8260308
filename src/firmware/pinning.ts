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

/** No placements: every file is the allocator's (a class, so a run makes one object and no closures). */
class Unpinned<Request> implements PlacedAllocator<Request> {
  readonly #allocator: BaseAllocator<Request>;
  constructor(allocator: BaseAllocator<Request>) {
    this.#allocator = allocator;
  }
  allocate(_file: string, size: number, request: Request): number | undefined {
    return this.#allocator.allocate(size, request);
  }
}

class Pinned<Request> implements PlacedAllocator<Request> {
  readonly #allocator: BaseAllocator<Request>;
  readonly #placements: ReadonlyMap<string, number>;
  readonly #name: string;
  constructor(allocator: BaseAllocator<Request>, placements: ReadonlyMap<string, number>, name: string) {
    this.#allocator = allocator;
    this.#placements = placements;
    this.#name = name;
  }
  allocate(file: string, size: number, request: Request): number | undefined {
    const pin = this.#placements.get(file);
    if (pin === undefined) return this.#allocator.allocate(size, request);
    if (this.#allocator.claim?.(pin, pin + size) === 'overlap') {
      throw new UsageError('PLACE_OVERLAP', `--place ${file}=0x${pin.toString(16)}: [0x${pin.toString(16)}, 0x${(pin + size).toString(16)}) overlaps what ${this.#name} already allocated`);
    }
    return pin;
  }
}

/**
 * The firmware's allocator with the run's placements applied (the one place
 * pins are looked up); `name` is how errors call the allocator (its own name
 * unless given).
 */
export function placed<Request>(allocator: BaseAllocator<Request>, placements: ReadonlyMap<string, number> | undefined, name = allocator.name): PlacedAllocator<Request> {
  return placements === undefined || placements.size === 0 ? new Unpinned(allocator) : new Pinned(allocator, placements, name);
}
