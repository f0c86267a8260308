/*
 * Native reference for `npm run bench`: plain C doing the same work as the
 * TypeScript cases it is compared with, in the same run. Written for this
 * project as a measuring stick (not a port of anything); bench/native.ts
 * builds it with `gcc -O2` into dist/ and feeds it the very inputs the
 * TypeScript cases use.
 *
 *   reference exec ITERS [--region START:SIZE]... --zone-high START:END --zone-tmp START:END
 *                  --zone-fseg START:END --fseg-end END [--file NAME=PATH]...
 *       SeaBIOS semantics of etc/table-loader (romfile_loader.c, 1.16): each
 *       run is one boot's loader execution. The romfile list is built from the
 *       directory, the script is read into malloc_tmphigh memory, every ALLOCATE
 *       copies its file afresh into the simulated guest memory, every access to
 *       guest memory is bounds-checked against the regions, every field is
 *       validated as SeaBIOS validates it, WRITE_POINTER writes into the
 *       device's copy of the file, and the F-segment is scanned for the RSDP
 *       (find_acpi_rsdp); then the tables are walked as an OS finds them (as the
 *       TypeScript run's report does), each checksum taken unless a loader
 *       checksum made exactly those bytes sum to zero and no write has reached
 *       them since. Files are the fw_cfg directory in the order given.
 *
 *       --sum vector: the byte sums by a loop gcc vectorises (scalar, the default,
 *       is the byte loop SeaBIOS and ../shared/bench/native-exec.c have).
 *
 *   reference exec serve OPTIONS...
 *       the same boot, timed on request: after the figures, each line K read
 *       from stdin runs K batches of 100 boots and answers `batches K MEAN MEDIAN`
 *       (ns per boot), so another program can interleave its own timings.
 *
 *   reference memcpy serve
 *       2 MiB memcpy, timed on request as `exec serve` times boots (batches of
 *       10 copies): the C side of the paired DMA windows.
 *
 *   reference encode serve ENTRIES.bin
 *       the producer-style encode of the entries of ENTRIES.bin, timed on
 *       request (batches of 10 encodes of them all): the C side of the paired
 *       encode windows.
 *
 *   reference loops ENTRIES.bin VALUES.f64
 *       memcpy of 2 MiB, the byte checksum SeaBIOS uses over 2 MiB, encoding
 *       the 128-byte entries of ENTRIES.bin (decoded once into structs), and
 *       rounding the doubles of VALUES.f64 up to 4 KiB pages.
 *
 * Output: one `name value unit` line per figure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint8_t *slurp(const char *path, uint32_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  uint8_t *b = malloc(n > 0 ? n : 1);
  if (n > 0 && fread(b, 1, n, f) != (size_t)n) { perror(path); exit(2); }
  fclose(f);
  *size = (uint32_t)n;
  return b;
}

/* volatile sink: results are consumed, so no loop is optimised away */
static volatile uint64_t sink;

/* ------------------------------------------------------------------ guest memory */

typedef struct { uint64_t start, end; uint8_t *bytes; } Region;
static Region regions[8];
static int nregions;

/* The bytes of [addr, addr+len) when one region holds all of them, else NULL. */
static uint8_t *guest(uint64_t addr, uint64_t len) {
  for (int i = 0; i < nregions; i++) {
    Region *r = &regions[i];
    if (addr >= r->start && addr < r->end) return len <= r->end - addr ? r->bytes + (addr - r->start) : NULL;
  }
  return NULL;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* ------------------------------------------------------------------ fw_cfg (the device side) */

#define NAME_SIZE 56
typedef struct { char name[NAME_SIZE]; uint32_t size; uint16_t select; uint8_t *data; } FwCfgFile;
static FwCfgFile device[16];
static int ndevice;

/* qemu_cfg_read_entry by DMA: the file's bytes into guest memory. */
static int fw_cfg_read(uint16_t select, uint32_t len, uint64_t dest) {
  FwCfgFile *f = &device[select - 0x20];
  uint8_t *d = guest(dest, len);
  if (!d || len > f->size) return -1;
  memcpy(d, f->data, len);
  return 0;
}

/* qemu_cfg_write_file_simple by DMA: bytes into the item. */
static int fw_cfg_write(uint16_t select, uint32_t offset, const uint8_t *src, uint32_t len) {
  FwCfgFile *f = &device[select - 0x20];
  if (offset + len > f->size) return -1;
  memcpy(f->data + offset, src, len);
  return 0;
}

/* ------------------------------------------------------------------ the byte sum */

/* The checksum as SeaBIOS (and ../shared/bench/native-exec.c, the stick the goal was set
   against) writes it: a byte loop, which gcc -O2 leaves scalar. It has a function of its own,
   aligned, because where this loop falls in the code moved its speed by 1.6x between builds on
   this host (a loop across a 64-byte line is slower): this way its place does not depend on the
   code around it. */
__attribute__((noinline, aligned(64))) static uint8_t scalar_sum(const uint8_t *p, uint32_t n) {
  uint8_t sum = 0;
  for (uint32_t i = 0; i < n; i++) sum += p[i];
  return sum;
}

/* The same sum with SSE2, the way src/acpi/sum8-wasm.ts sums: bytes added in 16 lanes that wrap
   (only the sum modulo 256 counts), four accumulators per 64 bytes, the lanes folded at the end.
   gcc -O2 does not vectorise the byte loop by itself (it takes only loops whose trip count it
   knows), so `exec --sum vector` times the executor with this, to show what SIMD sums are worth
   on the C side. */
#ifdef __SSE2__
#include <emmintrin.h>
__attribute__((noinline, aligned(64))) static uint8_t vector_sum(const uint8_t *p, uint32_t n) {
  __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
  uint32_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = _mm_add_epi8(a0, _mm_loadu_si128((const __m128i *)(p + i)));
    a1 = _mm_add_epi8(a1, _mm_loadu_si128((const __m128i *)(p + i + 16)));
    a2 = _mm_add_epi8(a2, _mm_loadu_si128((const __m128i *)(p + i + 32)));
    a3 = _mm_add_epi8(a3, _mm_loadu_si128((const __m128i *)(p + i + 48)));
  }
  for (; i + 16 <= n; i += 16) a0 = _mm_add_epi8(a0, _mm_loadu_si128((const __m128i *)(p + i)));
  __m128i lanes = _mm_sad_epu8(_mm_add_epi8(_mm_add_epi8(a0, a1), _mm_add_epi8(a2, a3)), _mm_setzero_si128());
  uint32_t sum = (uint32_t)_mm_cvtsi128_si32(lanes) + (uint32_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(lanes, lanes));
  for (; i < n; i++) sum += p[i];
  return (uint8_t)sum;
}
#else
#define vector_sum scalar_sum
#endif

static uint8_t (*byte_sum)(const uint8_t *, uint32_t) = scalar_sum;

/* ------------------------------------------------------------------ SeaBIOS's zones (malloc.c): top-down first fit */

typedef struct { uint64_t start, end; } Gap;
typedef struct { Gap gaps[64]; int n; uint64_t start, end; } Zone;

static void zone_init(Zone *z) { z->n = 1; z->gaps[0].start = z->start; z->gaps[0].end = z->end; }

static uint64_t zone_alloc(Zone *z, uint64_t size, uint64_t align) {
  for (int i = 0; i < z->n; i++) {
    Gap *g = &z->gaps[i];
    if (size > g->end - g->start) continue;
    uint64_t at = (g->end - size) & ~(align - 1);
    if (at < g->start) continue;
    int above = at + size < g->end, below = g->start < at;
    if (above && below && z->n < 64) {
      memmove(&z->gaps[i + 2], &z->gaps[i + 1], (z->n - i - 1) * sizeof(Gap));
      z->gaps[i + 1].start = g->start;
      z->gaps[i + 1].end = at;
      z->n++;
    }
    if (above) g->start = at + size;
    else if (below) g->end = at;
    else { memmove(&z->gaps[i], &z->gaps[i + 1], (z->n - i - 1) * sizeof(Gap)); z->n--; }
    return at;
  }
  return 0;
}

/* ------------------------------------------------------------------ romfile_loader.c */

#define MALLOC_MIN_ALIGN 16
#define ENTRY 128
enum { ALLOCATE = 1, ADD_POINTER = 2, ADD_CHECKSUM = 3, WRITE_POINTER = 4 };
enum { ZONE_HIGH = 1, ZONE_FSEG = 2 };

typedef struct { char name[NAME_SIZE]; uint32_t size; uint16_t select; } RomFile;
typedef struct { RomFile *file; uint64_t data; } LoaderFile;

/* A range a checksum made sum to zero, intact while no write has reached it since. */
typedef struct { uint64_t start, end; } Mark;
#define MAX_MARKS 64

typedef struct {
  RomFile romfiles[16];
  int nromfiles;
  LoaderFile files[16];
  int nfiles;
  Mark marks[MAX_MARKS];
  int nmarks;
  uint64_t marks_lo, marks_hi; /* every intact mark lies inside [marks_lo, marks_hi) */
  Zone high, fseg, tmp;
  int warnings;
} Boot;

static Zone zone_high, zone_fseg, zone_tmp;
static uint64_t fseg_scan_start, fseg_scan_end;

static RomFile *romfile_find(Boot *b, const char *name) {
  for (int i = 0; i < b->nromfiles; i++) if (!strncmp(b->romfiles[i].name, name, NAME_SIZE)) return &b->romfiles[i];
  return NULL;
}

static LoaderFile *loader_find(Boot *b, const uint8_t *name) {
  if (name[NAME_SIZE - 1]) return NULL;
  for (int i = 0; i < b->nfiles; i++) if (!strcmp(b->files[i].file->name, (const char *)name)) return &b->files[i];
  return NULL;
}

/* A write to [addr, addr+len): the marks it reaches are broken (one comparison while it lies outside them all). */
static void touch(Boot *b, uint64_t addr, uint64_t len) {
  if (b->nmarks == 0 || addr >= b->marks_hi || addr + len <= b->marks_lo) return;
  for (int i = b->nmarks - 1; i >= 0; i--)
    if (b->marks[i].start < addr + len && addr < b->marks[i].end) b->marks[i] = b->marks[--b->nmarks];
}

static void mark(Boot *b, uint64_t start, uint64_t len) {
  if (b->nmarks == MAX_MARKS) return; /* not kept: the walk sums that table itself */
  b->marks[b->nmarks].start = start;
  b->marks[b->nmarks].end = start + len;
  b->nmarks++;
  if (start < b->marks_lo) b->marks_lo = start;
  if (start + len > b->marks_hi) b->marks_hi = start + len;
}

static int marked(const Boot *b, uint64_t start, uint64_t len) {
  for (int i = 0; i < b->nmarks; i++)
    if (b->marks[i].start == start && b->marks[i].end == start + len) return 1;
  return 0;
}

static void cmd_allocate(Boot *b, const uint8_t *e) {
  uint32_t align = le32(e + 60);
  uint8_t zone = e[64];
  if (align & (align - 1)) { b->warnings++; return; }
  Zone *z = zone == ZONE_HIGH ? &b->high : zone == ZONE_FSEG ? &b->fseg : NULL;
  if (!z) { b->warnings++; return; }
  if (align < MALLOC_MIN_ALIGN) align = MALLOC_MIN_ALIGN;
  if (e[4 + NAME_SIZE - 1]) { b->warnings++; return; }
  RomFile *file = romfile_find(b, (const char *)e + 4);
  if (!file || !file->size) return;
  uint64_t data = zone_alloc(z, file->size, align);
  if (!data) { b->warnings++; return; }
  if (fw_cfg_read(file->select, file->size, data)) { b->warnings++; return; }
  touch(b, data, file->size);
  b->files[b->nfiles].file = file;
  b->files[b->nfiles].data = data;
  b->nfiles++;
}

static void cmd_add_pointer(Boot *b, const uint8_t *e) {
  LoaderFile *dest = loader_find(b, e + 4), *src = loader_find(b, e + 60);
  uint32_t offset = le32(e + 116);
  uint8_t size = e[120];
  if (!dest || !src || offset + size < offset || offset + size > dest->file->size || size < 1 || size > 8 || (size & (size - 1))) {
    b->warnings++;
    return;
  }
  uint8_t *field = guest(dest->data + offset, size);
  if (!field) { b->warnings++; return; }
  uint64_t pointer = 0;
  memcpy(&pointer, field, size);
  pointer += (uint32_t)src->data; /* unsigned long on i386 */
  touch(b, dest->data + offset, size);
  memcpy(field, &pointer, size);
}

static void cmd_add_checksum(Boot *b, const uint8_t *e) {
  LoaderFile *file = loader_find(b, e + 4);
  uint32_t offset = le32(e + 60), start = le32(e + 64), len = le32(e + 68);
  if (!file || offset >= file->file->size || start + len < start || start + len > file->file->size) {
    b->warnings++;
    return;
  }
  const uint8_t *range = guest(file->data + start, len);
  uint8_t *at = guest(file->data + offset, 1);
  if (!range || !at) { b->warnings++; return; }
  uint8_t sum = byte_sum(range, len);
  touch(b, file->data + offset, 1);
  *at -= sum;
  if (offset >= start && offset < start + len) mark(b, file->data + start, len);
}

static void cmd_write_pointer(Boot *b, const uint8_t *e) {
  RomFile *dest = romfile_find(b, (const char *)e + 4); /* the global list: it need not be allocated */
  LoaderFile *src = loader_find(b, e + 60);
  uint32_t dst_offset = le32(e + 116), src_offset = le32(e + 120);
  uint8_t size = e[124];
  if (!dest || !src || dst_offset + size < dst_offset || dst_offset + size > dest->size || src_offset >= src->file->size || size < 1 || size > 8 ||
      (size & (size - 1))) {
    b->warnings++;
    return;
  }
  uint64_t pointer = (uint32_t)(src->data + src_offset);
  if (size != 8 && (pointer >> (size * 8)) > 0) { b->warnings++; return; }
  if (fw_cfg_write(dest->select, dst_offset, (const uint8_t *)&pointer, size)) { b->warnings++; return; }
  if (!zone_alloc(&b->high, 24, MALLOC_MIN_ALIGN)) b->warnings++; /* the record kept for S3 resume */
}

/* find_acpi_rsdp: the lowest 16-aligned "RSD PTR " whose checksum(s) hold. */
static uint64_t find_rsdp(void) {
  for (uint64_t a = (fseg_scan_start + 15) & ~15ull; a + 20 <= fseg_scan_end; a += 16) {
    const uint8_t *p = guest(a, 20);
    if (!p || memcmp(p, "RSD PTR ", 8)) continue;
    uint8_t sum = 0;
    for (int i = 0; i < 20; i++) sum += p[i];
    if (sum) continue;
    if (p[15] > 1) {
      uint32_t length = le32(p + 20);
      const uint8_t *x = guest(a, length);
      if (length < 36 || length > fseg_scan_end - a || !x) continue;
      sum = 0;
      for (uint32_t i = 0; i < length; i++) sum += x[i];
      if (sum) continue;
    }
    return a;
  }
  return 0;
}

/* ------------------------------------------------------------------ the OS's ACPI walk */

/* What src/acpi/walk.ts does after the scan: the RSDT (and XSDT) to every table, the FADT to its
   FACS and DSDT, each table read once, its checksum taken unless a loader checksum marked exactly
   its bytes and no write reached them since (as the TypeScript run skips them). */
typedef struct { uint64_t address; uint32_t signature, length; int ok; } Table;
typedef struct { Table t[64]; int n, problems; } Walk;

#define SIG_FACP 0x50434146u /* "FACP" */

/* A 64-bit table pointer taken modulo 2^53, as the walk reads them. */
static uint64_t le64_53(const uint8_t *p) { return ((uint64_t)(le32(p + 4) & 0x1fffff)) << 32 | le32(p); }

/* The table at addr (NULL: none there, a problem); *fresh says whether this is its first reference. */
static Table *visit(const Boot *b, Walk *w, uint64_t addr, int facs, int *fresh) {
  *fresh = 0;
  if (!addr) return NULL;
  for (int i = 0; i < w->n; i++) if (w->t[i].address == addr) return &w->t[i];
  const uint8_t *h = guest(addr, 8);
  if (!h) { w->problems++; return NULL; }
  uint32_t length = le32(h + 4);
  if (length < (facs ? 64u : 36u) || w->n == 64) { w->problems++; return NULL; }
  int ok = 1;
  if (!facs && !marked(b, addr, length)) {
    const uint8_t *p = guest(addr, length);
    if (!p) { w->problems++; return NULL; }
    ok = byte_sum(p, length) == 0;
  }
  Table *t = &w->t[w->n++];
  t->address = addr;
  t->signature = le32(h);
  t->length = length;
  t->ok = ok;
  *fresh = 1;
  return t;
}

static void fadt_links(const Boot *b, Walk *w, uint64_t address, uint32_t length) {
  const uint8_t *p = guest(address, length); /* visit found all of it in one region */
  int fresh;
  visit(b, w, length >= 40 ? le32(p + 36) : 0, 1, &fresh);
  visit(b, w, length >= 140 ? le64_53(p + 132) : 0, 1, &fresh);
  visit(b, w, length >= 44 ? le32(p + 40) : 0, 0, &fresh);
  visit(b, w, length >= 148 ? le64_53(p + 140) : 0, 0, &fresh);
}

static void walk_root(const Boot *b, Walk *w, uint64_t addr, int width) {
  int fresh;
  const Table *t = visit(b, w, addr, 0, &fresh);
  if (!t) return;
  uint32_t count = (t->length - 36) / width;
  const uint8_t *e = guest(t->address + 36, (uint64_t)count * width);
  for (uint32_t i = 0; e && i < count; i++) {
    const Table *x = visit(b, w, width == 4 ? le32(e + 4 * i) : le64_53(e + 8 * i), 0, &fresh);
    if (x && fresh && x->signature == SIG_FACP) fadt_links(b, w, x->address, x->length);
  }
}

static void walk_tables(const Boot *b, Walk *w, uint64_t rsdp) {
  const uint8_t *p = guest(rsdp, 20);
  w->n = w->problems = 0;
  walk_root(b, w, le32(p + 16), 4);
  if (p[15] >= 2) {
    const uint8_t *x = guest(rsdp, 32);
    if (x && le32(x + 28) <= 0x1fffff) walk_root(b, w, (uint64_t)le32(x + 28) << 32 | le32(x + 24), 8);
  }
}

/* FNV-1a over every allocated file's bytes in guest memory, in allocation order: the same
   figure bench/native.ts computes from the TypeScript run, so both placed the same bytes. */
static uint32_t digest;
/* The walk's tables and FNV-1a over each one's signature, address (low, high word), length and checksum verdict. */
static uint32_t walk_count, walk_digest;

static uint32_t fnv_word(uint32_t h, uint32_t v) {
  for (int k = 0; k < 4; k++) h = (h ^ (v >> (8 * k) & 0xff)) * 0x01000193u;
  return h;
}

/* One boot: qemu_cfg_init's romfile list, romfile_loader_execute, find_acpi_rsdp. */
static uint64_t boot_once(int keep_digest) {
  Boot b;
  b.nromfiles = ndevice;
  for (int i = 0; i < ndevice; i++) {
    memcpy(b.romfiles[i].name, device[i].name, NAME_SIZE);
    b.romfiles[i].size = device[i].size;
    b.romfiles[i].select = device[i].select;
  }
  b.nfiles = 0;
  b.warnings = 0;
  b.nmarks = 0;
  b.marks_lo = UINT64_MAX;
  b.marks_hi = 0;
  b.high = zone_high; zone_init(&b.high);
  b.fseg = zone_fseg; zone_init(&b.fseg);
  b.tmp = zone_tmp; zone_init(&b.tmp);
  RomFile *loader = romfile_find(&b, "etc/table-loader");
  if (loader && loader->size) {
    uint64_t script = zone_alloc(&b.tmp, loader->size + 1, MALLOC_MIN_ALIGN);
    if (script && !fw_cfg_read(loader->select, loader->size, script)) {
      if (loader->size % ENTRY) b.warnings++;
      else
        for (uint32_t off = 0; off < loader->size; off += ENTRY) {
          const uint8_t *e = guest(script + off, ENTRY);
          switch (le32(e)) {
            case ALLOCATE: cmd_allocate(&b, e); break;
            case ADD_POINTER: cmd_add_pointer(&b, e); break;
            case ADD_CHECKSUM: cmd_add_checksum(&b, e); break;
            case WRITE_POINTER: cmd_write_pointer(&b, e); break;
            default: break;
          }
        }
    }
  }
  if (keep_digest) {
    uint32_t h = 0x811c9dc5u;
    for (int i = 0; i < b.nfiles; i++) {
      const uint8_t *p = guest(b.files[i].data, b.files[i].file->size);
      for (uint32_t k = 0; p && k < b.files[i].file->size; k++) h = (h ^ p[k]) * 0x01000193u;
    }
    digest = h;
  }
  uint64_t rsdp = find_rsdp();
  if (rsdp) {
    Walk w;
    walk_tables(&b, &w, rsdp);
    if (keep_digest) {
      uint32_t h = 0x811c9dc5u;
      for (int i = 0; i < w.n; i++) {
        h = fnv_word(h, w.t[i].signature);
        h = fnv_word(h, (uint32_t)w.t[i].address);
        h = fnv_word(h, (uint32_t)(w.t[i].address >> 32));
        h = fnv_word(h, w.t[i].length);
        h = fnv_word(h, (uint32_t)w.t[i].ok);
      }
      walk_count = w.n;
      walk_digest = h;
    }
    sink += w.n;
  }
  return rsdp ^ (uint64_t)b.warnings << 48 ^ (uint64_t)b.nfiles << 56;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void range_arg(const char *s, uint64_t *a, uint64_t *b) {
  char *end;
  *a = strtoull(s, &end, 0);
  *b = strtoull(end + 1, NULL, 0);
}

/* One unit of timed work: a boot (exec) or a 2 MiB copy (memcpy serve). */
typedef void (*Work)(void);

static void one_boot(void) { sink += boot_once(0); }

/* Batches of `batch` units timed one by one: the mean over `k` batches and the median batch, in ns
   per unit (the median is robust when the machine is shared). */
static void time_batches(Work work, int batch, long k, double *mean, double *median) {
  if (k < 1) k = 1;
  double *per = malloc(sizeof(double) * k), total = 0;
  if (!per) { fprintf(stderr, "reference: no memory for %ld batch times\n", k); exit(2); }
  for (long j = 0; j < k; j++) {
    double t0 = now();
    for (int i = 0; i < batch; i++) work();
    per[j] = (now() - t0) / batch * 1e9;
    total += per[j];
  }
  qsort(per, k, sizeof(double), cmp_double);
  *mean = total / k;
  *median = per[k / 2];
  free(per);
}

/* A serve loop: after `ready`, one request per line on stdin, K (a count of batches of `batch`
   units) answered by `batches K mean_ns median_ns` once they ran, after one untimed batch (as
   mitata runs one before it times the TypeScript side); an empty line, 0 or EOF ends.
   bench/paired.ts interleaves these with the TypeScript batches, a few milliseconds apart. */
static int serve(Work work, int batch) {
  char line[64];
  printf("ready\n");
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    long k = atol(line);
    if (k <= 0) break;
    double mean, median;
    for (int i = 0; i < batch; i++) work();
    time_batches(work, batch, k, &mean, &median);
    printf("batches %ld %.1f %.1f\n", k, mean, median);
    fflush(stdout);
  }
  return 0;
}

/* `memcpy serve`: 2 MiB copies (each source byte changed between copies, as in `loops`), served in
   batches of 10, for the paired DMA windows. */
static uint8_t *copy_from, *copy_to;
static long copy_round;
static void one_copy(void) {
  enum { N = 2u << 20 };
  memcpy(copy_to, copy_from, N);
  sink += copy_to[copy_round & (N - 1)];
  copy_from[copy_round++ & (N - 1)] ^= 1;
}

static int cmd_memcpy_serve(void) {
  copy_from = malloc(2u << 20);
  copy_to = malloc(2u << 20);
  if (!copy_from || !copy_to) { fprintf(stderr, "memcpy: no memory for 2 MiB buffers\n"); return 2; }
  for (uint32_t i = 0; i < (2u << 20); i++) copy_from[i] = (uint8_t)(i * 131);
  memset(copy_to, 0, 2u << 20);
  return serve(one_copy, 10);
}

static int cmd_exec(int argc, char **argv) {
  long iters = atol(argv[2]);
  for (int i = 3; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    uint64_t a, b;
    if (!strcmp(k, "--region")) {
      range_arg(v, &a, &b);
      regions[nregions].start = a;
      regions[nregions].end = a + b;
      regions[nregions].bytes = calloc(1, b);
      nregions++;
    } else if (!strcmp(k, "--zone-high")) range_arg(v, &zone_high.start, &zone_high.end);
    else if (!strcmp(k, "--zone-tmp")) range_arg(v, &zone_tmp.start, &zone_tmp.end);
    else if (!strcmp(k, "--zone-fseg")) { range_arg(v, &zone_fseg.start, &zone_fseg.end); fseg_scan_start = zone_fseg.start; }
    else if (!strcmp(k, "--fseg-end")) fseg_scan_end = strtoull(v, NULL, 0);
    else if (!strcmp(k, "--sum")) {
      if (!strcmp(v, "vector")) byte_sum = vector_sum;
      else if (strcmp(v, "scalar")) { fprintf(stderr, "exec: --sum %s: scalar or vector\n", v); return 2; }
    }
    else if (!strcmp(k, "--file")) {
      const char *eq = strchr(v, '=');
      FwCfgFile *f = &device[ndevice];
      memset(f->name, 0, NAME_SIZE);
      memcpy(f->name, v, eq - v < NAME_SIZE - 1 ? eq - v : NAME_SIZE - 1);
      f->data = slurp(eq + 1, &f->size);
      f->select = 0x20 + ndevice++;
    } else { fprintf(stderr, "exec: unknown option %s\n", k); return 2; }
  }
  uint64_t first = boot_once(1);
  printf("exec_rsdp %llu address\nexec_warnings %llu count\nexec_allocated %llu files\nexec_digest %u fnv1a\n", (unsigned long long)(first & 0xffffffffffffull),
         (unsigned long long)(first >> 48 & 0xff), (unsigned long long)(first >> 56), digest);
  printf("exec_tables %u tables\nexec_tables_digest %u fnv1a\n", walk_count, walk_digest);
  if (!strcmp(argv[2], "serve")) return serve(one_boot, 100);
  for (long i = 0; i < iters / 10; i++) sink += boot_once(0);
  double mean, median;
  time_batches(one_boot, 100, iters / 100, &mean, &median);
  printf("exec_run %.1f ns\nexec_run_median %.1f ns\n", mean, median);
  return 0;
}

/* ------------------------------------------------------------------ loops */

/* An entry as a C program holds it: names zero-padded to their 56-byte fields (so NUL-terminated strings too). */
typedef struct {
  uint32_t command;
  char file[NAME_SIZE], src[NAME_SIZE];
  uint32_t a, b, c;
  uint8_t size, zone;
} Entry;

/* A name field: the 56-byte image as it is, or (strings) a bounded string copy of at most 55 bytes. */
static inline void copy_name(uint8_t *to, const char *from, int strings) {
  if (strings) strncpy((char *)to, from, NAME_SIZE - 1);
  else memcpy(to, from, NAME_SIZE);
}

/* The fields of one entry in its 128-byte wire form, over zeroed bytes. */
static inline void encode_fields(const Entry *e, uint8_t *q, int strings) {
  memcpy(q, &e->command, 4);
  copy_name(q + 4, e->file, strings);
  switch (e->command) {
    case ALLOCATE:
      memcpy(q + 60, &e->a, 4);
      q[64] = e->zone;
      break;
    case ADD_POINTER:
      copy_name(q + 60, e->src, strings);
      memcpy(q + 116, &e->a, 4);
      q[120] = e->size;
      break;
    case ADD_CHECKSUM:
      memcpy(q + 60, &e->a, 4);
      memcpy(q + 64, &e->b, 4);
      memcpy(q + 68, &e->c, 4);
      break;
    case WRITE_POINTER:
      copy_name(q + 60, e->src, strings);
      memcpy(q + 116, &e->a, 4);
      memcpy(q + 120, &e->b, 4);
      q[124] = e->size;
      break;
  }
}

/* From ready name images into memory zeroed beforehand. */
static void encode(const Entry *e, uint8_t *q) { encode_fields(e, q, 0); }

/*
 * The same entry the way QEMU's producer makes it (hw/acpi/bios-linker-loader.c):
 * a zeroed 128-byte entry of its own, names by a bounded string copy from
 * NUL-terminated strings, the numbers, then the whole entry appended to the
 * stream. Our encoder's input is the same: names as strings.
 */
static void encode_as_producer(const Entry *e, uint8_t *q) {
  uint8_t entry[ENTRY];
  memset(entry, 0, ENTRY);
  encode_fields(e, entry, 1);
  memcpy(q, entry, ENTRY);
}

static void decode(const uint8_t *p, Entry *e) {
  memset(e, 0, sizeof *e);
  e->command = le32(p);
  memcpy(e->file, p + 4, NAME_SIZE - 1);
  if (e->command == ADD_POINTER || e->command == WRITE_POINTER) memcpy(e->src, p + 60, NAME_SIZE - 1);
  if (e->command == ALLOCATE) { e->a = le32(p + 60); e->zone = p[64]; }
  if (e->command == ADD_POINTER) { e->a = le32(p + 116); e->size = p[120]; }
  if (e->command == ADD_CHECKSUM) { e->a = le32(p + 60); e->b = le32(p + 64); e->c = le32(p + 68); }
  if (e->command == WRITE_POINTER) { e->a = le32(p + 116); e->b = le32(p + 120); e->size = p[124]; }
}

static uint8_t checksum(const uint8_t *p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; i++) s += p[i];
  return s;
}

static int cmd_loops(int argc, char **argv) {
  if (argc < 4) return 2;
  const size_t N = 2u << 20;
  uint8_t *a = aligned_alloc(64, N), *b = aligned_alloc(64, N);
  for (size_t i = 0; i < N; i++) a[i] = (uint8_t)(i * 7);
  memset(b, 0, N);
  int reps = 2000;
  for (int r = 0; r < 100; r++) memcpy(b, a, N);
  double t0 = now();
  for (int r = 0; r < reps; r++) { memcpy(b, a, N); sink += b[r]; a[r] ^= 1; }
  double t1 = now();
  printf("memcpy_2mib %.0f MB/s\n", (double)N * reps / (t1 - t0) / 1e6);
  t0 = now();
  for (int r = 0; r < reps; r++) { sink += checksum(a, N); a[r] ^= 1; }
  t1 = now();
  printf("checksum_2mib %.0f MB/s\n", (double)N * reps / (t1 - t0) / 1e6);

  uint32_t size;
  uint8_t *stream = slurp(argv[2], &size);
  int n = size / ENTRY;
  Entry *entries = malloc(sizeof(Entry) * n);
  for (int i = 0; i < n; i++) decode(stream + i * ENTRY, &entries[i]);
  uint8_t *out = aligned_alloc(64, (size_t)n * ENTRY);
  long iters = 20000;
  /* from ready 56-byte name images: the whole range zeroed once, then each entry's fields and name images */
  for (long it = 0; it < iters / 10; it++) {
    memset(out, 0, (size_t)n * ENTRY);
    for (int i = 0; i < n; i++) encode(&entries[i], out + i * ENTRY);
  }
  t0 = now();
  for (long it = 0; it < iters; it++) {
    memset(out, 0, (size_t)n * ENTRY);
    for (int i = 0; i < n; i++) encode(&entries[i], out + i * ENTRY);
    sink += out[it % ((size_t)n * ENTRY)];
  }
  t1 = now();
  if (memcmp(out, stream, size)) fprintf(stderr, "loops: the C encoder does not reproduce %s\n", argv[2]);
  printf("encode_entry_images %.2f ns\n", (t1 - t0) / iters / n * 1e9);

  for (long it = 0; it < iters / 10; it++)
    for (int i = 0; i < n; i++) encode_as_producer(&entries[i], out + i * ENTRY);
  t0 = now();
  for (long it = 0; it < iters; it++) {
    for (int i = 0; i < n; i++) encode_as_producer(&entries[i], out + i * ENTRY);
    sink += out[it % ((size_t)n * ENTRY)];
  }
  t1 = now();
  if (memcmp(out, stream, size)) fprintf(stderr, "loops: the producer-style encoder does not reproduce %s\n", argv[2]);
  printf("encode_entry %.2f ns\n", (t1 - t0) / iters / n * 1e9);

  uint32_t vbytes;
  double *values = (double *)slurp(argv[3], &vbytes);
  int nv = vbytes / 8;
  uint64_t *v = malloc(sizeof(uint64_t) * nv);
  for (int i = 0; i < nv; i++) v[i] = (uint64_t)values[i];
  const uint64_t page = 4096;
  iters = 100000;
  t0 = now();
  for (long it = 0; it < iters; it++) {
    uint64_t acc = 0;
    for (int i = 0; i < nv; i++) acc += (v[i] + page - 1) & ~(page - 1);
    sink += acc;
    v[it % nv] ^= 1; /* a changing input: the sum cannot be hoisted out of the loop */
  }
  t1 = now();
  printf("page_align %.3f ns\n", (t1 - t0) / iters / nv * 1e9);
  return 0;
}

/* `encode serve ENTRIES.bin`: the producer-style encode of every entry of ENTRIES.bin (decoded once,
   checked to reproduce the file), served in batches of 10, for the paired encode windows. */
static Entry *serve_entries;
static uint8_t *serve_out;
static int serve_n;
static void one_encode(void) {
  for (int i = 0; i < serve_n; i++) encode_as_producer(&serve_entries[i], serve_out + i * ENTRY);
  sink += serve_out[(size_t)sink % ((size_t)serve_n * ENTRY)];
}

static int cmd_encode_serve(const char *path) {
  uint32_t size;
  uint8_t *stream = slurp(path, &size);
  serve_n = size / ENTRY;
  serve_entries = malloc(sizeof(Entry) * (serve_n > 0 ? serve_n : 1));
  serve_out = aligned_alloc(64, (size_t)(serve_n > 0 ? serve_n : 1) * ENTRY);
  if (!serve_entries || !serve_out) { fprintf(stderr, "encode: no memory for %d entries\n", serve_n); return 2; }
  for (int i = 0; i < serve_n; i++) decode(stream + i * ENTRY, &serve_entries[i]);
  one_encode();
  if (serve_n == 0 || memcmp(serve_out, stream, (size_t)serve_n * ENTRY)) { fprintf(stderr, "encode: the producer-style encoder does not reproduce %s\n", path); return 2; }
  return serve(one_encode, 10);
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "exec")) return cmd_exec(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "loops")) return cmd_loops(argc, argv);
  if (argc >= 3 && !strcmp(argv[1], "memcpy") && !strcmp(argv[2], "serve")) return cmd_memcpy_serve();
  if (argc >= 4 && !strcmp(argv[1], "encode") && !strcmp(argv[2], "serve")) return cmd_encode_serve(argv[3]);
  fprintf(stderr, "usage: reference exec ITERS OPTIONS... | reference loops ENTRIES.bin VALUES.f64 | reference memcpy serve | reference encode serve ENTRIES.bin\n");
  return 2;
}
