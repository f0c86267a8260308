// The typed library: the loader format, its producer, and the readers around it.
export * from './errors.js';
export { asBytes, toHex, fromHex, type ByteSource } from './bytes.js';
export * from './loader/constants.js';
export * from './loader/entry.js';
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
export type * from './vectors/manifest.js';
