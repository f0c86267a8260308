/**
 * Whether the machine has a TPM, as firmware finds out: QEMU serves
 * etc/tpm/config (6 bytes: the PPI address, u32; the TPM version, u8; the
 * PPI version, u8) exactly when a TPM device exists, and the version byte is
 * what the backend reports (1: TPM 1.2, 2: TPM 2.0). etc/tpm/log is served
 * either way (empty without a TPM), so it says nothing.
 */
export const TPM_CONFIG_FILE = 'etc/tpm/config';

export type TpmVersion = '1.2' | '2.0';

/** The TPM etc/tpm/config describes; undefined for no such file, or one too short to hold a version this model knows. */
export function tpmFromConfig(config: Uint8Array | null | undefined): TpmVersion | undefined {
  if (config == null || config.length < 5) return undefined;
  return config[4] === 1 ? '1.2' : config[4] === 2 ? '2.0' : undefined;
}
