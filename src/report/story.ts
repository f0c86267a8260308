/**
 * What the report is drawn from. The whole story of a configuration is told
 * by the cli room (src/cli/whole-story.ts, which also runs lint); this room
 * sits beside lint/ and imports none of it, so the story comes in as data of
 * these shapes (the cli's WholeStory is built of them, plus lint's report).
 */
import type { FirmwareName } from '../simulate/boot.js';
import type { BootRecord } from '../simulate/lifecycle.js';

export interface StoryConfiguration {
  name: string;
  kind: string;
  dir: string;
  qemu: string;
  /** The QEMU release the story's boots ran under (`major.minor`), null: 7.2's rules were used. */
  qemuRelease: string | null;
  machineType: string;
  hostPageSize: number;
  argv: string[];
}

/** One ACPI ROM blob at machine creation, with its maximum under each modelled QEMU. */
export interface StoryBlob {
  file: string;
  ramblock: string;
  size: number;
  used: number;
  max: number;
  /** After the rebuild a firmware's boot triggered, as recorded (the command line's firmware first); null: none recorded. */
  sizeAfterBoot: number | null;
  /** The loader only: its commands at creation and after the first boot's rebuild. */
  commands?: { creation: number; afterBoot: number | null };
  /** Per modelled QEMU: the block's maximum there and whether the rebuilt size fits. */
  byQemu: { qemu: string; max: number; fits: boolean | null }[];
}

export interface StoryFirmware {
  firmware: FirmwareName;
  /** As people call it on this machine (OVMF's arm build is AAVMF). */
  label: string;
  /** The firmware the capture's command line boots. */
  booted: boolean;
  /** What QEMU printed if it ended during this firmware's boot on the capture's own QEMU (recorded live). */
  recordedExit: { status: string; stderr: string[] } | null;
  boots: BootRecord[];
  stopped: string | null;
}

export interface StoryMigration {
  to: string;
  sourceError: string | null;
  loads: boolean | null;
  errorLines: string[] | null;
}

/** A lint finding as lint/findings.ts shapes it. */
export interface StoryFinding {
  severity: 'error' | 'warning' | 'info';
  /** Entry index in etc/table-loader, or -1. */
  entry: number;
  code: string;
  message: string;
  firmware?: string[];
  file?: string;
}

export interface ReportStory {
  configuration: StoryConfiguration;
  creation: StoryBlob[];
  firmware: StoryFirmware[];
  migration: StoryMigration[];
  lint: { findings: StoryFinding[]; errors: number };
}
