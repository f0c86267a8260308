/** SeaBIOS releases (src/firmware/seabios.ts is their core). */
import type { FirmwareRecord } from '../record.js';
import { seaBiosProfile, type SeaBiosProfile } from '../profiles.js';
import { runSeaBios } from '../seabios.js';

export const SEABIOS_1_16_2: FirmwareRecord<SeaBiosProfile> = {
  id: 'seabios@1.16.2',
  name: 'seabios',
  version: '1.16.2',
  label: 'SeaBIOS 1.16.2',
  arches: ['x86_64'],
  stages: ['after'],
  boundsChecked: true,
  evidence: 'Debian seabios 1.16.2-1: spec-vectors/qemu-7.2 (seabios-memory, debug logs) and the firmware-conformance corpus',
  platform: { pciexbar: 0xb0000000 },
  driverStyle: () => 'seabios',
  // qemu_platform_setup's "internal error" warning is line 251 in 1.16.2
  profile: (m) => ({ ...seaBiosProfile(m.family, m.lowRam.end, m.numa), platformSetupLine: 251 }),
  workRanges: (p) => [p.tmpHigh, p.zoneHigh],
  run: (ctx, p, m) => runSeaBios(ctx, p, { facts: m, platform: SEABIOS_1_16_2.platform }),
};
