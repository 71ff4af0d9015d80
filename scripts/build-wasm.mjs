#!/usr/bin/env node
// Builds the image decoder's WebAssembly module: libjpeg-turbo's decompressor (scalar C, with its DCT
// scaling), our glue (src/main/engine/images/wasm/jpeg.c) and pixel loops (src/main/engine/images/wasm/pixels.c),
// linked against wasi-libc. Writes it, base64-encoded, to src/main/engine/images/wasm/decoder-wasm.ts,
// which is committed (installing and running the app needs no C compiler), and libjpeg-turbo's
// licence to resources/licenses/. Run it after changing either C file:
//
//   LIBJPEG_TURBO_SRC=path/to/libjpeg-turbo_2.1.5.orig.tar.gz npm run build:wasm
//
// Needs clang, wasm-ld, wasi-libc and the wasm32 compiler runtime (Debian: apt-get install clang
// lld wasi-libc libclang-rt-14-dev-wasm32) and libjpeg-turbo's source, a directory or a tarball
// (Debian, with deb-src lines in its sources: apt-get source --download-only libjpeg-turbo).
// The tests check the module against sharp's decoding and TypeScript transcriptions of the pixel
// arithmetic, so a stale module fails them.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasmDir = join(root, 'src/main/engine/images/wasm');
const target = join(wasmDir, 'decoder-wasm.ts');
/** The libjpeg-turbo release the committed module was built from, and Debian's tarball of it. */
const expected = { version: '2.1.5', tarballSha256: '254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c' };

const given = process.env.LIBJPEG_TURBO_SRC;
if (!given || !existsSync(given)) {
  console.error(
    "build-wasm: set LIBJPEG_TURBO_SRC to libjpeg-turbo's source (a directory or a .tar.gz); on Debian, with deb-src enabled:\n" +
      '  apt-get source --download-only libjpeg-turbo && LIBJPEG_TURBO_SRC=$PWD/libjpeg-turbo_2.1.5.orig.tar.gz npm run build:wasm',
  );
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'mlw-wasm-'));
try {
  let source = given;
  let provenance = `source directory ${given}`;
  if (statSync(given).isFile()) {
    const sha256 = createHash('sha256').update(readFileSync(given)).digest('hex');
    if (sha256 !== expected.tarballSha256)
      console.warn(`build-wasm: ${given} is not Debian's libjpeg-turbo ${expected.version} tarball (SHA-256 ${sha256}).`);
    execFileSync('tar', ['xzf', given, '-C', work]);
    const extracted = readdirSync(work).find((name) => name.startsWith('libjpeg-turbo'));
    if (extracted === undefined) throw new Error(`${given} holds no libjpeg-turbo-* folder.`);
    source = join(work, extracted);
    provenance = `${extracted} (tarball SHA-256 ${sha256})`;
  }
  const version = /set\(VERSION ([\d.]+)\)/.exec(readFileSync(join(source, 'CMakeLists.txt'), 'utf8'))?.[1] ?? 'unknown';

  // What CMake would generate for an 8-bit, SIMD-less, single-threaded build.
  const config = join(work, 'config');
  mkdirSync(config);
  writeFileSync(
    join(config, 'jconfig.h'),
    [
      '#define JPEG_LIB_VERSION 62',
      `#define LIBJPEG_TURBO_VERSION ${version}`,
      `#define LIBJPEG_TURBO_VERSION_NUMBER ${version.split('.').reduce((n, part, i) => n + Number(part) * [1000000, 1000, 1][i], 0)}`,
      '#define D_ARITH_CODING_SUPPORTED 1',
      '#define MEM_SRCDST_SUPPORTED 1',
      '#define BITS_IN_JSAMPLE 8',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(config, 'jconfigint.h'),
    [
      '#define BUILD "multilabel-workbench"',
      '#undef inline',
      '#define INLINE __inline__ __attribute__((always_inline))',
      '#define THREAD_LOCAL',
      '#define PACKAGE_NAME "libjpeg-turbo"',
      `#define VERSION "${version}"`,
      '#define SIZEOF_SIZE_T 4',
      '#define HAVE_BUILTIN_CTZL',
      '#define FALLTHROUGH __attribute__((fallthrough));',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(config, 'jversion.h'),
    readFileSync(join(source, 'jversion.h.in'), 'utf8').replaceAll('@COPYRIGHT_YEAR@', '1991-2022'),
  );

  // The decompressor and what it needs; no compressor, no stdio use at run time.
  const libjpeg = [
    'jaricom.c',
    'jcomapi.c',
    'jdapimin.c',
    'jdapistd.c',
    'jdarith.c',
    'jdatasrc.c',
    'jdcoefct.c',
    'jdcolor.c',
    'jddctmgr.c',
    'jdhuff.c',
    'jdinput.c',
    'jdmainct.c',
    'jdmarker.c',
    'jdmaster.c',
    'jdmerge.c',
    'jdphuff.c',
    'jdpostct.c',
    'jdsample.c',
    'jerror.c',
    'jidctflt.c',
    'jidctfst.c',
    'jidctint.c',
    'jidctred.c',
    'jmemmgr.c',
    'jmemnobs.c',
    'jquant1.c',
    'jquant2.c',
    'jsimd_none.c',
    'jutils.c',
  ].map((name) => join(source, name));
  const flags = [
    '--target=wasm32-wasi',
    '-O3',
    '-msimd128',
    '-mbulk-memory',
    '-msign-ext',
    '-mnontrapping-fptoint',
    '-DNO_GETENV',
    '-include',
    'errno.h',
  ];
  const includes = ['-isystem', '/usr/include/wasm32-wasi', `-I${config}`, `-I${source}`];
  const exports = ['jpeg_decode_rgb', 'resize_vertical', 'resize_horizontal', 'convert_rgb', 'malloc', 'free'];
  const link = ['--no-entry', ...(process.env.KEEP_NAMES ? [] : ['--strip-all']), ...exports.map((name) => `--export=${name}`)];
  const output = join(work, 'decoder.wasm');
  const ours = ['jpeg.c', 'pixels.c'].map((name) => join(wasmDir, name));
  execFileSync(
    'clang',
    [
      ...flags,
      ...includes,
      '-L/usr/lib/wasm32-wasi',
      '-nostartfiles',
      ...link.map((option) => `-Wl,${option}`),
      '-o',
      output,
      ...ours,
      ...libjpeg,
    ],
    { stdio: 'inherit' },
  );
  // Our own files once more with every warning an error (libjpeg's own are left as they are).
  for (const file of ours)
    execFileSync('clang', [...flags, ...includes, '-Wall', '-Wextra', '-Werror', '-fsyntax-only', file], { stdio: 'inherit' });

  const compiler = execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const bytes = readFileSync(output);
  const lines = bytes.toString('base64').match(/.{1,120}/g) ?? [];
  writeFileSync(
    target,
    `// Generated by scripts/build-wasm.mjs; do not edit. ${bytes.length} bytes of WebAssembly:\n` +
      `// jpeg.c and pixels.c with libjpeg-turbo ${version}'s decompressor, built by ${compiler}\n` +
      `// from ${provenance}.\n` +
      `export const decoderWasmBase64 = [\n${lines.map((line) => `  '${line}',`).join('\n')}\n].join('');\n`,
  );
  mkdirSync(join(root, 'resources/licenses'), { recursive: true });
  copyFileSync(join(source, 'LICENSE.md'), join(root, 'resources/licenses/libjpeg-turbo-LICENSE.md'));
  copyFileSync(join(source, 'README.ijg'), join(root, 'resources/licenses/libjpeg-turbo-README.ijg'));
  console.log(`build-wasm: wrote ${target} (${bytes.length} bytes of WebAssembly, libjpeg-turbo ${version})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
