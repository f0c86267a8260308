// fw_cfg device: DMA of a 2 MiB file into guest RAM beside TypedArray.set, legacy port reads per byte, directory lookup.
import { join } from 'node:path';
import { packageRoot } from '../src/vectors/package-root.js';
import { FwCfgDevice } from '../src/fwcfg/device.js';
import { dmaControl, encodeDmaAccess } from '../src/fwcfg/dma.js';
import { FwCfgDriver } from '../src/fwcfg/driver.js';
import { FwCfgIoPorts } from '../src/fwcfg/io-ports.js';
import { bswap32 } from '../src/fwcfg/registers.js';
import { AddressSpace } from '../src/memory/address-space.js';
import { allocateBacking } from '../src/memory/backing.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { machineFromCapture, machineRegisters } from '../src/qemu/emulated-machine.js';
import { loadItemsCapture } from '../src/vectors/items-capture.js';
import { defineCase, do_not_optimize } from './harness.js';
import { nativeInputs } from './native.js';

const MIB2 = 2 << 20;
// the baseline copies into the same bytes the DMA lands in: the bench keeps the backing it gives
const ram = allocateBacking(64 << 20);
const memory = new GuestMemory([
  { name: 'low', start: 0, size: 0xa0000, kind: 'ram' },
  { name: 'ram', start: 0x100000, size: 64 << 20, kind: 'ram', bytes: ram },
]);
const device = new FwCfgDevice();
device.addBytes(0, new TextEncoder().encode('QEMU'));
device.addI32(1, 3);
const blob = Uint8Array.from({ length: MIB2 }, (_, i) => (i * 131) & 0xff);
device.addFile('opt/big', blob);
const small = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
device.addFile('opt/small', small);
const ports = new FwCfgIoPorts(device, { bus: new AddressSpace('memory', { memory }) });
const bigKey = device.findFile('opt/big')!;
const smallKey = device.findFile('opt/small')!;
const DESC = 0x1000;
const DEST = 0x200000;
const descriptor = encodeDmaAccess({ control: dmaControl(0x0a, bigKey), length: MIB2, address: BigInt(DEST) });
const dest = ram.subarray(DEST - 0x100000, DEST - 0x100000 + MIB2);

defineCase({ group: 'DMA 2 MiB into guest RAM', name: 'TypedArray.set 2 MiB (memcpy limit)', baseline: true, bytes: MIB2, fn: () => dest.set(blob) });
const dmaRead = () => {
  memory.write(DESC, descriptor);
  ports.out(0x514, 4, 0);
  ports.out(0x518, 4, bswap32(DESC));
};
defineCase({
  group: 'DMA 2 MiB into guest RAM',
  name: 'fw_cfg DMA SELECT|READ (descriptor, outl 0x514/0x518, transfer)',
  bytes: MIB2,
  targetBandwidthRatio: 0.8,
  fn: dmaRead,
});
// and against C memcpy of 2 MiB in paired windows (bench/paired.ts)
nativeInputs.dma = dmaRead;

const out = new Uint8Array(4096);
defineCase({ group: 'legacy port reads (4 KiB item)', name: 'Uint8Array copy loop (floor)', baseline: true, units: 4096, unit: 'byte', fn: () => {
  for (let i = 0; i < 4096; i++) out[i] = small[i]!;
} });
defineCase({
  group: 'legacy port reads (4 KiB item)',
  name: 'inb 0x511 per byte (outw select + 4096 x in(0x511, 1))',
  units: 4096,
  unit: 'byte',
  targetNsPerUnit: 20,
  fn: () => {
    ports.out(0x510, 2, smallKey);
    for (let i = 0; i < 4096; i++) out[i] = ports.in(0x511, 1);
  },
});
defineCase({
  group: 'legacy port reads (4 KiB item)',
  name: 'rep insb (readData of 4096)',
  units: 4096,
  unit: 'byte',
  targetNsPerUnit: 20,
  fn: () => {
    ports.select(smallKey);
    ports.readData(out);
  },
});

// directory lookup on the real q35 configuration (15 files)
const q35 = machineFromCapture(loadItemsCapture(join(packageRoot(), 'spec-vectors', 'fwcfg-captures', 'q35')));
const seabios = new FwCfgDriver(machineRegisters(q35), q35.guestMemory, { style: 'seabios', scratch: 0x200000 });
const ovmf = new FwCfgDriver(machineRegisters(q35), q35.guestMemory, { style: 'ovmf', scratch: 0x200000 });
seabios.detect();
ovmf.detect();
const NAME = 'genroms/kvmvapic.bin';
defineCase({ group: 'directory lookup by name (q35, 15 files)', name: 'FwCfgDevice.findFile (host side)', baseline: true, units: 1, unit: 'lookup', fn: () => do_not_optimize(q35.device.findFile(NAME)) });
defineCase({ group: 'directory lookup by name (q35, 15 files)', name: 'SeaBIOS driver (directory cached)', units: 1, unit: 'lookup', fn: () => do_not_optimize(seabios.findFile(NAME)) });
defineCase({ group: 'directory lookup by name (q35, 15 files)', name: 'OVMF driver (re-reads the directory by DMA)', units: 1, unit: 'lookup', fn: () => do_not_optimize(ovmf.findFile(NAME)) });
