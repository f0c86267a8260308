/** How people write a firmware's name (`SeaBIOS`, `OVMF 2022.11`), from what --firmware or a report calls it. */
const NAMES: Record<string, string> = { seabios: 'SeaBIOS', ovmf: 'OVMF', aavmf: 'AAVMF', uboot: 'U-Boot' };

export function firmwareLabel(spec: string): string {
  const [name, version] = spec.split('@') as [string, string | undefined];
  return `${NAMES[name] ?? name}${version === undefined ? '' : ` ${version}`}`;
}
