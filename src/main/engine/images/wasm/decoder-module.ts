import { decoderWasmBase64 } from './decoder-wasm';

/**
 * The decoder's WebAssembly module (libjpeg-turbo's decompressor, jpeg.c and pixels.c; see
 * scripts/build-wasm.mjs). One instance per thread (module state is per JavaScript realm), made on
 * first use. Calls are synchronous, so they never overlap; each `run` frees what it allocated.
 *
 * A trap (libjpeg's way of giving up on a corrupt file, see jpeg.c) leaves the instance's heap in an
 * unknown state, so the instance is dropped and the next call makes a new one; so is an instance
 * whose memory grew past `keptMemoryBytes` on a large image (WebAssembly memory never shrinks).
 */
export interface DecoderCalls {
  /** Allocates `bytes` plus `slack` spare bytes after them (for loops that read or write past the end); freed when the run ends. */
  alloc(bytes: number, slack?: number): number;
  /** Allocates room for `array` and copies it in. */
  put(array: Uint8Array | Int16Array | Int32Array, slack?: number): number;
  /** Frees a block the module allocated itself (a decoded image) when the run ends. */
  adopt(address: number): void;
  /** The bytes at `address`: a view, valid until the memory next grows. */
  bytes(address: number, length: number): Uint8Array;
  int32s(address: number, length: number): Int32Array;
  jpegDecodeRgb(data: number, size: number, scaleNum: number, info: number): number;
  resizeVertical(
    src: number,
    width: number,
    mid: number,
    outHeight: number,
    start: number,
    count: number,
    weights: number,
    maxTaps: number,
  ): void;
  resizeHorizontal(
    mid: number,
    inWidth: number,
    height: number,
    dst: number,
    outWidth: number,
    start: number,
    pairs: number,
    pairStride: number,
  ): void;
  convertRgb(rgb: number, pixels: number, terms: number, encode: number, top: number): void;
}

/** The module's heap could not give the memory a call asked for (an image too large for it). */
export class DecoderMemoryError extends Error {}

/** Memory an instance may keep between images; past this it is dropped after the call. */
export const keptMemoryBytes = 64 * 1024 * 1024;

interface Exports {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(address: number): void;
  jpeg_decode_rgb(...args: number[]): number;
  resize_vertical(...args: number[]): void;
  resize_horizontal(...args: number[]): void;
  convert_rgb(...args: number[]): void;
}

let compiled: WebAssembly.Module | null = null;
let instance: Exports | null = null;

/** wasi-libc's few system calls, none of which the decoder makes at run time (no files, no exit). */
const wasiStubs = {
  fd_close: () => 52,
  fd_seek: () => 52,
  fd_write: () => 52,
  proc_exit: (code: number) => {
    throw new Error(`The image decoder's WebAssembly module exited (${code}).`);
  },
};

function exports(): Exports {
  if (instance !== null) return instance;
  compiled ??= new WebAssembly.Module(Buffer.from(decoderWasmBase64, 'base64'));
  instance = new WebAssembly.Instance(compiled, { wasi_snapshot_preview1: wasiStubs }).exports as unknown as Exports;
  return instance;
}

/** Runs `body` against the module, freeing its allocations afterwards (or dropping the instance after a trap). */
export function runDecoder<T>(body: (calls: DecoderCalls) => T): T {
  const wasm = exports();
  const owned: number[] = [];
  const alloc = (bytes: number, slack = 16): number => {
    const address = wasm.malloc(bytes + slack);
    if (address === 0) throw new DecoderMemoryError(`The image decoder could not allocate ${bytes + slack} bytes.`);
    owned.push(address);
    return address;
  };
  const calls: DecoderCalls = {
    alloc,
    put(array, slack) {
      const address = alloc(array.byteLength, slack);
      new Uint8Array(wasm.memory.buffer, address, array.byteLength).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return address;
    },
    adopt: (address) => void owned.push(address),
    bytes: (address, length) => new Uint8Array(wasm.memory.buffer, address, length),
    int32s: (address, length) => new Int32Array(wasm.memory.buffer, address, length),
    jpegDecodeRgb: (...args) => wasm.jpeg_decode_rgb(...args),
    resizeVertical: (...args) => wasm.resize_vertical(...args),
    resizeHorizontal: (...args) => wasm.resize_horizontal(...args),
    convertRgb: (...args) => wasm.convert_rgb(...args),
  };
  let trapped = false;
  try {
    return body(calls);
  } catch (error) {
    trapped = error instanceof WebAssembly.RuntimeError;
    throw error;
  } finally {
    if (trapped || wasm.memory.buffer.byteLength > keptMemoryBytes) {
      if (instance === wasm) instance = null;
    } else {
      for (const address of owned) wasm.free(address);
    }
  }
}
