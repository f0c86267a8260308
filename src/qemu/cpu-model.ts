/**
 * What a QEMU command line's `-cpu` says about 1 GiB pages (CPUID pdpe1gb).
 * OVMF builds its identity-mapped page tables with 1 GiB pages when the CPU
 * has them and with 2 MiB pages otherwise; the second costs it megabytes of
 * page tables, which moves everything it allocates below them (seen live:
 * q35, 2 GiB, OVMF 2022.11 on QEMU 7.2, `-cpu max,-pdpe1gb` and the default
 * CPU put the RSDP 4 MiB lower than `-cpu max` and `-cpu qemu64,+pdpe1gb`).
 */

/** What the CPU offers a firmware's page tables (OVMF's layout depends on it: firmware/profiles.ts). */
export interface CpuFacts {
  /** CPUID pdpe1gb; undefined for a CPU model the tool does not know. */
  pages1G: boolean | undefined;
  /** Physical address bits (QEMU's phys-bits; 40 unless the command line sets it); undefined: not known. */
  physBits: number | undefined;
}

/** CPU models known to have pdpe1gb (TCG's `max` and KVM's `host` pass it; the x86 default, qemu64, lacks it). */
const WITH_1G = new Set(['max', 'host']);
const WITHOUT_1G = new Set(['qemu64', 'qemu32', 'kvm64', 'kvm32', 'base']);

/** The last `-cpu` value of a command line (the one QEMU takes), if any. */
function cpuSpec(argv: readonly string[]): string | undefined {
  let spec: string | undefined;
  for (let i = 0; i + 1 < argv.length; i++) if (argv[i] === '-cpu' || argv[i] === '--cpu') spec = argv[i + 1];
  return spec;
}

/** The physical address bits of the CPU a command line runs: QEMU's 40 unless `phys-bits=N` says otherwise; undefined for host-phys-bits. */
export function cpuPhysBits(argv: readonly string[]): number | undefined {
  const spec = cpuSpec(argv) ?? '';
  let bits: number | undefined = 40;
  for (const o of spec.split(',').slice(1)) {
    const m = /^phys-bits=(\d+)$/.exec(o);
    if (m !== null) bits = Number(m[1]);
    else if (/^host-phys-bits(=on|=true)?$/.test(o)) bits = undefined;
  }
  return bits;
}

/**
 * Whether the CPU a command line runs has 1 GiB pages: true or false when the
 * arguments say it (no `-cpu`: QEMU's default qemu64, without them), undefined
 * for a named model this table does not know.
 */
export function cpuHas1GiBPages(argv: readonly string[]): boolean | undefined {
  const spec = cpuSpec(argv);
  if (spec === undefined) return false;
  const [model, ...options] = spec.split(',');
  let has = WITH_1G.has(model!) ? true : WITHOUT_1G.has(model!) ? false : undefined;
  for (const o of options) {
    if (o === '+pdpe1gb' || o === 'pdpe1gb' || o === 'pdpe1gb=on' || o === 'pdpe1gb=true') has = true;
    else if (o === '-pdpe1gb' || o === 'pdpe1gb=off' || o === 'pdpe1gb=false') has = false;
  }
  return has;
}
