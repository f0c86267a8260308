/**
 * What a firmware extends into the TPM of QEMU's ACPI data: since
 * edk2-stable202302 (commit 935343cf16) OVMF's QemuFwCfgAcpi.c measures
 * etc/table-loader right after reading it and every ALLOCATEd blob right
 * after reading it, before any command patches it: one event each in PCR 1,
 * EV_PLATFORM_CONFIG_FLAGS, event data "ACPI DATA" (9 bytes, no NUL), the
 * digest of the bytes it read in each active bank. Whether and how a release
 * measures is record data (records/*.ts); the core calls a Measure at the
 * moment it read something, so the digest covers exactly those bytes: the
 * size its directory lookup gave, the content as served after the rebuild
 * its select triggered.
 */
import { createHash } from 'node:crypto';
import { readableBytes, type ReadonlyBytes } from '../bytes.js';
import type { TpmVersion } from './tpm.js';

/** The TCG event type of the ACPI data events (TCG PC Client PFP: EV_PLATFORM_CONFIG_FLAGS). */
export const EV_PLATFORM_CONFIG_FLAGS = 0xa;

export type PcrBank = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/**
 * The banks an event carries a digest for: a TPM 2.0 with every bank
 * active (swtpm as manufactured allocates SHA-1, SHA-256, SHA-384 and
 * SHA-512; a TPM with fewer active banks logs those only), or a TPM 1.2,
 * which has SHA-1 only (OVMF then logs TCG 1.2 events: observed live).
 */
const BANKS: Record<TpmVersion, readonly PcrBank[]> = { '2.0': ['sha1', 'sha256', 'sha384', 'sha512'], '1.2': ['sha1'] };

export interface Measurement {
  pcr: number;
  eventType: number;
  eventData: string;
  /** The fw_cfg file whose bytes were hashed. */
  file: string;
  /** How many bytes were hashed (the size the firmware read). */
  length: number;
  /** Lowercase hex digest per bank. */
  digests: Partial<Record<PcrBank, string>>;
}

/** How a release measures the loader and its blobs, with where that is known from. */
export type MeasurementPolicy =
  | { kind: 'acpi-data'; pcr: number; eventType: number; eventData: string; evidence: string }
  | { kind: 'none'; evidence: string };

/** Called by a firmware core with what it just read, before anything changes it. */
export type Measure = (file: string, bytes: ReadonlyBytes) => void;

/**
 * The Measure for one boot, appending to `into`; undefined when nothing is
 * measured: the release measures nothing, or the machine has no TPM (edk2's
 * TpmMeasureAndLogData finds no TCG protocol then and returns).
 */
export function measurer(policy: MeasurementPolicy, tpm: TpmVersion | undefined, into: Measurement[]): Measure | undefined {
  if (policy.kind === 'none' || tpm === undefined) return undefined;
  const banks = BANKS[tpm];
  return (file, bytes) => {
    const data = readableBytes(bytes);
    const digests: Partial<Record<PcrBank, string>> = {};
    for (const bank of banks) digests[bank] = createHash(bank).update(data).digest('hex');
    into.push({ pcr: policy.pcr, eventType: policy.eventType, eventData: policy.eventData, file, length: data.length, digests });
  };
}
