import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/vectors/package-root.js';
import { Vector } from '../../src/vectors/vector.js';

export const ROOT = packageRoot();
export const QEMU_VECTORS = join(ROOT, 'spec-vectors', 'qemu-7.2');

export function vectorConfigs(): string[] {
  return readdirSync(QEMU_VECTORS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function loadVector(config: string): Vector {
  return Vector.load(join(QEMU_VECTORS, config));
}

/** Every (config, stage) pair whose stage carries an etc/table-loader ROM blob. */
export function loaderStages(): { config: string; stage: string; vector: Vector }[] {
  const out: { config: string; stage: string; vector: Vector }[] = [];
  for (const config of vectorConfigs()) {
    const vector = loadVector(config);
    for (const stage of vector.stageNames) if (vector.hasRom(stage, 'etc/table-loader')) out.push({ config, stage, vector });
  }
  return out;
}
