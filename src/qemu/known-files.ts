/**
 * What QEMU 7.2 does with some fw_cfg files beyond serving their bytes, so a
 * device rebuilt from a capture answers as QEMU does:
 *
 * - writable files (DMA WRITE accepted): etc/vmgenid_addr (no write callback
 *   in 7.2, spec-vectors/fwcfg-device/FACTS.md §4), etc/smi/requested-features, etc/vmcoreinfo,
 *   etc/ramfb, etc/hardware_errors_addr. Everything else, `-fw_cfg` user
 *   files included, is read-only. Captures of format 2 record writability per
 *   item; this list is the fallback for older captures.
 * - vmgenid: its reset handler zeroes etc/vmgenid_addr (live boots show the
 *   address gone after a system_reset until the firmware writes it again).
 * - ICH9 (q35) SMI feature negotiation: etc/smi/features-ok is a 1-byte file
 *   whose select callback compares etc/smi/requested-features with
 *   etc/smi/supported-features and, for a valid request, locks the
 *   negotiation and turns the byte to 1. A capture shows 1 there (reading the
 *   file selects it, which locks a request of 0); QEMU's reset state is 0.
 */
import type { FwCfgDevice } from '../fwcfg/device.js';

export const QEMU_WRITABLE_FILES: readonly string[] = [
  'etc/vmgenid_addr',
  'etc/smi/requested-features',
  'etc/vmcoreinfo',
  'etc/ramfb',
  'etc/hardware_errors_addr',
];

export const SMI_SUPPORTED = 'etc/smi/supported-features';
export const SMI_REQUESTED = 'etc/smi/requested-features';
export const SMI_FEATURES_OK = 'etc/smi/features-ok';

const SMI_BROADCAST = 1n << 0n;
const SMI_CPU_HOTPLUG = 1n << 1n;
const SMI_CPU_HOT_UNPLUG = 1n << 2n;

export function isQemuWritableFile(name: string): boolean {
  return QEMU_WRITABLE_FILES.includes(name);
}

function le64(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = Math.min(8, b.length) - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Whether a guest's feature request is one ICH9 accepts (and then locks). */
export function smiRequestAccepted(requested: bigint, supported: bigint): boolean {
  if (requested & ~supported) return false;
  const hotplug = requested & (SMI_CPU_HOTPLUG | SMI_CPU_HOT_UNPLUG);
  // CPU hot(un)plug with SMI needs SMI broadcast, and hot-unplug needs hotplug
  if (!(requested & SMI_BROADCAST) && hotplug !== 0n) return false;
  if (hotplug === SMI_CPU_HOT_UNPLUG) return false;
  return true;
}

export interface SmiNegotiation {
  /** True once a valid request was seen by a features-ok select. */
  locked: boolean;
  negotiated: bigint;
  /** Back to QEMU's reset state (ich9 LPC reset). */
  reset(): void;
}

/** Gives etc/smi/features-ok its select callback; undefined when the machine has no SMI files. */
export function attachSmiNegotiation(device: FwCfgDevice): SmiNegotiation | undefined {
  const ok = device.fileItem(SMI_FEATURES_OK);
  const requested = device.fileItem(SMI_REQUESTED);
  const supported = device.fileItem(SMI_SUPPORTED);
  if (ok?.data == null || requested?.data == null || supported?.data == null || ok.data.length !== 1) return undefined;
  const okData = ok.data;
  const reqData = requested.data;
  const state: SmiNegotiation = {
    locked: false,
    negotiated: 0n,
    reset() {
      state.locked = false;
      state.negotiated = 0n;
      okData[0] = 0;
      reqData.fill(0);
    },
  };
  state.reset();
  ok.opaque = state;
  ok.selectCallback = (opaque) => {
    const s = opaque as SmiNegotiation | null;
    if (s == null || s.locked) return;
    const want = le64(requested.data ?? reqData);
    if (!smiRequestAccepted(want, le64(supported.data ?? new Uint8Array(8)))) return;
    s.negotiated = want;
    s.locked = true;
    okData[0] = 1;
  };
  return state;
}

export interface QemuFileBehaviours {
  smi: SmiNegotiation | undefined;
  /** The vmgenid device's reset handler: the address the guest wrote is forgotten (the next boot writes it again). */
  vmgenidReset: (() => void) | undefined;
}

export const VMGENID_ADDR = 'etc/vmgenid_addr';

/** Applies every behaviour above that the device's files call for. */
export function applyQemuFileBehaviours(device: FwCfgDevice): QemuFileBehaviours {
  const has = device.fileItem(VMGENID_ADDR)?.data != null;
  return { smi: attachSmiNegotiation(device), vmgenidReset: has ? () => device.fileItem(VMGENID_ADDR)?.data?.fill(0) : undefined };
}
