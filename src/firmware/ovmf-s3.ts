/**
 * The two points where S3 support can fail the OVMF loader run
 * (BootScript.c, QemuFwCfgS3Lib): the context sized before pass 1 and the
 * boot-script hand-off after pass 2, the last step, which cannot be undone.
 */
import { failure, SUCCESS, type Result } from './ovmf-status.js';

/**
 * AllocateS3Context with one slot per script entry (padding included).
 * Returns EFI_SUCCESS, or EFI_INVALID_PARAMETER for a script of 0 entries.
 */
export function allocateS3Context(entries: number): Result<'EFI_INVALID_PARAMETER'> {
  return entries === 0 ? failure('EFI_INVALID_PARAMETER', 'an S3 context for 0 commands') : SUCCESS;
}

/**
 * TransferS3ContextToBootScript. Returns EFI_SUCCESS when no WRITE_POINTER
 * was recorded or fw_cfg DMA is there to replay them, RETURN_NOT_FOUND
 * (QemuFwCfgS3CallWhenBootScriptReady) when the replay would need DMA the
 * device does not offer.
 */
export function transferS3ContextToBootScript(recorded: number, dma: boolean): Result<'RETURN_NOT_FOUND'> {
  if (recorded === 0 || dma) return SUCCESS;
  return failure('RETURN_NOT_FOUND', 'QemuFwCfgS3CallWhenBootScriptReady: fw_cfg DMA unavailable');
}
