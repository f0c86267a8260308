// The typed library: the loader format, its producer, and the readers around it.
export * from './errors.js';
export { asBytes, toHex, fromHex, type ByteSource, type ReadonlyBytes } from './bytes.js';
export * from './loader/constants.js';
export * from './loader/entry.js';
export { LOADER_COMMANDS, COMMAND_FIELD, COMMAND_NAMES, ENTRY_NAMES, FIELDS_END, commandSpec, commandOf, nameFields, type CommandSpec, type FieldSpec, type FieldKind, type FieldText } from './loader/fields.js';
export { decodeEntry, decodeLoader, encodeEntry, encodeLoader, encodeLoaderInto, encodedLength, type EncodeOptions } from './loader/codec.js';
export { inspectNameField, isCanonicalNameField, type NameFieldIssue, type NameFieldIssueKind } from './loader/name-field.js';
export { fieldSpans, decodeWithLayout, encodeWithLayout, LOADER_ENTRY_LAYOUT, type FieldSpan } from './loader/layout.js';
export { BiosLinker } from './loader/linker.js';
export { formatListing, parseListing, listingHeader, formatEntryLine, type ListingOptions } from './loader/listing.js';
export { loaderToJson, loaderFromJson, entryToJson, entryFromJson, type EntryJson } from './loader/json.js';
export { validateLoaderBytes, type FormatIssue } from './loader/validate.js';
export { tableAnnotator, type Annotator } from './loader/annotate.js';
export { scanTableBlob, locateInTables, type TableSpan } from './acpi/blob-tables.js';
export { Vector, readBytes } from './vectors/vector.js';
export { DirectorySource, MemorySource, readTree, type FileSource } from './vectors/file-source.js';
export type * from './vectors/manifest.js';
// The fw_cfg device, its register interfaces and DMA, the guest-side driver.
export * from './fwcfg/keys.js';
export { FwCfgDevice, FwCfgDeviceError, type FwCfgItem, type FwCfgFileOptions, type FwCfgDeviceOptions, type FwCfgFileRecord, type FwCfgDeviceState, type SelectCallback, type WriteCallback } from './fwcfg/device.js';
export { fwCfgDmaTransfer, decodeDmaAccess, encodeDmaAccess, dmaControl, DMA_ACCESS_SIZE, type DmaAccess, type DmaBus } from './fwcfg/dma.js';
export { FwCfgDmaRegister, FW_CFG_DMA_REGISTER_SIZE } from './fwcfg/dma-register.js';
export { FwCfgIoPorts, FwCfgIoRegion, ioBackground, FW_CFG_IO_BASE, FW_CFG_IO_DATA, FW_CFG_IO_DMA, FW_CFG_IO_SIZE, type FwCfgIoPortsOptions } from './fwcfg/io-ports.js';
export { FwCfgMmio, FwCfgMmioCtl, FwCfgMmioData, fwCfgMmioRanges, VIRT_FW_CFG_BASE, FW_CFG_MMIO_CTL, FW_CFG_MMIO_DATA, FW_CFG_MMIO_DMA, type FwCfgMmioOptions } from './fwcfg/mmio.js';
export { bswap16, bswap32, type FwCfgGuestRegisters, type FwCfgLayout } from './fwcfg/registers.js';
export { FwCfgDriver, FwCfgDriverError, type FwCfgDriverOptions, type FwCfgDriverStyle, type FwCfgFileEntry } from './fwcfg/driver.js';
// Guest memory and QEMU's access dispatch.
export { GuestMemory, GuestMemoryError, MemoryRegion, type RegionSpec, type RegionKind, type MemoryImage, type GuestMemoryOptions, type Inspector, type Patcher } from './memory/guest-memory.js';
export type { GuestAddress, RegionOffset } from './memory/address.js';
export { AddressSpace, UNASSIGNED_IO_OPS, accessPieceSize, type MmioOps, type MmioRange, type AccessResult, type AddressSpaceOptions } from './memory/address-space.js';
// QEMU around the device: machines from captures, live QEMU, capture.
export { machineFromCapture, deviceFromCapture, machineRegisters, directKind, type EmulatedMachine, type MachineOptions } from './qemu/emulated-machine.js';
export { applyQemuFileBehaviours, attachSmiNegotiation, smiRequestAccepted, isQemuWritableFile, QEMU_WRITABLE_FILES, type SmiNegotiation, type QemuFileBehaviours } from './qemu/known-files.js';
export { captureQemu, captureArgs, splitQemuArgs, tracedKeys, type CaptureOptions, type CaptureResult } from './qemu/capture.js';
export { memoryMapFromMtree, parseFlatViews, parseRamBlocks, type FlatView, type RamBlockInfo } from './qemu/monitor-text.js';
export { replayArgs, recreateTempFiles } from './qemu/replay-args.js';
export { QemuProcess, liveQemuPids, type QemuProcessOptions } from './qemu/live/qemu-process.js';
export { QtestClient } from './qemu/live/qtest-client.js';
export { QmpClient } from './qemu/live/qmp-client.js';
export { QemuError } from './qemu/live/errors.js';
export { findOnPath } from './qemu/live/find-binary.js';
// The qtest endpoint and the differential conformance suite.
export { QtestEndpoint } from './qtest/endpoint.js';
export { serveQtestLines } from './qtest/serve.js';
export { parseQemuNumber, writeCommandBytes, glibDecodeInPlace } from './qtest/protocol.js';
export { generateSequence, profileFromCapture, SequenceGenerator, Rng, type ConformanceProfile } from './conformance/generator.js';
export { runConformance, runOnQemu, runOnEmulator, firstDivergence, formatDivergence, type Divergence, type SeedResult, type ConformanceOptions } from './conformance/runner.js';
export { loadItemsCapture, parseMemoryMap, type ItemsCapture, type ItemsCaptureJson, type CapturedItem, type MemoryMap, type MemoryRange, type MemoryContent, type MemoryMapJson, type MemoryRangeJson, type MemoryContentJson, type RebuildJson, type RebuiltItem } from './vectors/items-capture.js';
export { fwCfgCompat, type FwCfgCompat } from './qemu/machine-type.js';
export { detectCaptureKind, type CaptureKind } from './vectors/capture-kind.js';
