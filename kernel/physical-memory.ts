/**
 * The page-frame database: 4 KB frames with reference and lock counts, over backing chunks
 * allocated only when a frame in them is first touched, so a 4 GB machine costs what it uses.
 *
 * A frame's reference count counts its holders: the owner that allocated it (a committed page,
 * a pool page, a contiguous buffer) plus one per MDL lock, as NT's PFN ReferenceCount does. The
 * frame returns to the free list when the count reaches zero, so an app that frees memory while
 * a driver still has it locked cannot pull the page from under the driver.
 */

export const PAGE_SHIFT = 12;
/** PAGE_SIZE: 4096 bytes on x86. */
export const PAGE_SIZE = 4096;
export const PAGE_MASK = PAGE_SIZE - 1;

/** Frames per backing chunk (64 frames: 256 KB), the unit of host allocation. */
const CHUNK_FRAME_SHIFT = 6;
const FRAMES_PER_CHUNK = 1 << CHUNK_FRAME_SHIFT;
const CHUNK_BYTES = FRAMES_PER_CHUNK * PAGE_SIZE;

/** Frames of one chunk share a {@link FrameCounts}: this masks a frame number to its index there. */
export const FRAME_IN_CHUNK_MASK = FRAMES_PER_CHUNK - 1;

/** Stands for "no chunk" in loops over counts (an empty array, rather than null, keeps them fast). */
const NO_COUNTS = new Int32Array(0);

/** Reference and lock counts of the frames of one chunk. */
export interface FrameCounts {
  readonly refs: Int32Array;
  readonly locks: Int32Array;
  /** Frames ever allocated in this chunk: the only ones whose bytes can have been written. */
  readonly used: Uint8Array;
}

/**
 * Chunk buffers given back by machines that are done (see {@link PhysicalMemory.release}), all
 * zero, ready for the next machine in this realm: an explorer builds thousands of machines, and a
 * fresh 256 KB host buffer costs far more than clearing the few frames a run wrote.
 */
const chunkPool: Uint8Array[] = [];
const CHUNK_POOL_MAX = 64;

/** Per-chunk frame metadata and (once touched) its bytes. */
interface Chunk extends FrameCounts {
  bytes: Uint8Array | null;
  view: DataView | null;
}

/** Where a frame's bytes live on the host. */
export interface FrameBacking {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Byte offset of the frame inside `bytes`. */
  readonly offset: number;
}

/** Why a frame operation was refused. */
export type FrameError = "not-allocated" | "not-locked";

export class PhysicalMemory {
  /** Frames of RAM. Frame numbers at or above this are not RAM. */
  readonly totalFrames: number;
  private readonly chunks: (Chunk | undefined)[];
  /** Next frame never handed out. */
  private fresh = 0;
  private freeStack = new Int32Array(1024);
  private freeTop = 0;
  private used = 0;
  private chunkCount = 0;
  private lastChunkIndex = -1;
  private lastChunk: Chunk | undefined = undefined;

  /** @param bytes RAM size, rounded down to whole frames. */
  constructor(bytes: number) {
    if (!Number.isSafeInteger(bytes) || bytes < PAGE_SIZE * 16) {
      throw new RangeError(`a machine needs at least 64 KB of RAM (got ${bytes} bytes)`);
    }
    if (bytes > 2 ** 32) throw new RangeError("a 32-bit machine has at most 4 GB of RAM");
    this.totalFrames = Math.floor(bytes / PAGE_SIZE);
    this.chunks = new Array<Chunk | undefined>(Math.ceil(this.totalFrames / FRAMES_PER_CHUNK));
  }

  /** Frames currently in use. */
  get usedFrames(): number {
    return this.used;
  }

  /** Frames still free. */
  get freeFrames(): number {
    return this.totalFrames - this.used;
  }

  /** Host bytes this database holds: chunk metadata and the bytes of touched chunks. */
  get hostBytes(): number {
    let n = this.freeStack.byteLength + this.chunks.length * 8;
    for (const c of this.chunks) {
      if (c) n += c.refs.byteLength + c.locks.byteLength + 64 + (c.bytes ? CHUNK_BYTES : 0);
    }
    return n;
  }

  /** Number of chunks whose bytes have been touched. */
  get touchedChunks(): number {
    return this.chunkCount;
  }

  private chunk(frame: number): Chunk {
    const i = frame >>> CHUNK_FRAME_SHIFT;
    let c = this.chunks[i];
    if (!c) {
      c = {
        bytes: null,
        view: null,
        refs: new Int32Array(FRAMES_PER_CHUNK),
        locks: new Int32Array(FRAMES_PER_CHUNK),
        used: new Uint8Array(FRAMES_PER_CHUNK),
      };
      this.chunks[i] = c;
    }
    return c;
  }

  /** True when `frame` is a RAM frame that is allocated. */
  isAllocated(frame: number): boolean {
    if (frame < 0 || frame >= this.totalFrames) return false;
    const c = this.chunks[frame >>> CHUNK_FRAME_SHIFT];
    return c !== undefined && (c.refs[frame & (FRAMES_PER_CHUNK - 1)] ?? 0) > 0;
  }

  /** The frame's reference count (0 for a free frame). */
  refCount(frame: number): number {
    const c = this.chunks[frame >>> CHUNK_FRAME_SHIFT];
    return c ? (c.refs[frame & (FRAMES_PER_CHUNK - 1)] ?? 0) : 0;
  }

  /** The frame's lock count (MDL locks). */
  lockCount(frame: number): number {
    const c = this.chunks[frame >>> CHUNK_FRAME_SHIFT];
    return c ? (c.locks[frame & (FRAMES_PER_CHUNK - 1)] ?? 0) : 0;
  }

  private take(frame: number): void {
    const c = this.chunk(frame);
    const i = frame & (FRAMES_PER_CHUNK - 1);
    c.refs[i] = 1;
    c.locks[i] = 0;
    c.used[i] = 1;
    // A recycled frame reads as zero again (demand-zero semantics).
    if (c.bytes) c.bytes.fill(0, i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    this.used++;
  }

  /** Allocates one zeroed frame; -1 when memory is exhausted. */
  allocateFrame(): number {
    let f: number;
    if (this.freeTop > 0) f = this.freeStack[--this.freeTop] ?? -1;
    else if (this.fresh < this.totalFrames) f = this.fresh++;
    else return -1;
    this.take(f);
    return f;
  }

  /**
   * Allocates `count` zeroed frames, physically consecutive where fresh memory allows (so a
   * committed range can later be copied as one run). Returns null, allocating nothing, when
   * there are not enough free frames.
   */
  allocateFrames(count: number): Int32Array | null {
    if (count > this.freeFrames) return null;
    const out = new Int32Array(count);
    let n = 0;
    // Fresh frames first when the request is large: they are consecutive.
    if (count > 1) {
      const run = Math.min(count, this.totalFrames - this.fresh);
      for (let k = 0; k < run; k++) {
        const f = this.fresh++;
        this.take(f);
        out[n++] = f;
      }
    }
    while (n < count) out[n++] = this.allocateFrame();
    return out;
  }

  /**
   * Allocates `count` physically contiguous frames (MmAllocateContiguousMemory, CE's static map,
   * DMA buffers), optionally inside [lowestFrame, highestFrame] and without crossing a multiple
   * of `boundaryFrames` (0: no boundary), as MmAllocateContiguousMemorySpecifyCache asks.
   * Returns the first frame, or -1 when no run that long is free there (nothing is taken).
   */
  allocateContiguous(count: number, lowestFrame = 0, highestFrame = this.totalFrames - 1, boundaryFrames = 0): number {
    if (!Number.isInteger(count) || count <= 0) return -1;
    const lo = Math.max(0, Math.ceil(lowestFrame));
    const hi = Math.min(this.totalFrames - 1, Math.floor(highestFrame));
    if (hi - lo + 1 < count) return -1;
    const boundary = Number.isInteger(boundaryFrames) && boundaryFrames > 0 ? boundaryFrames : 0;
    if (boundary > 0 && count > boundary) return -1;
    // The first start at or after `from` whose run does not cross a boundary multiple.
    const aligned = (from: number): number => {
      if (boundary === 0 || Math.floor(from / boundary) === Math.floor((from + count - 1) / boundary)) return from;
      return Math.ceil(from / boundary) * boundary;
    };
    // Fresh memory first: it is one long run. Fresh frames skipped to reach the bounds stay free.
    const start = aligned(Math.max(this.fresh, lo));
    if (start + count - 1 <= hi) {
      for (let f = this.fresh; f < start; f++) this.pushFree(f);
      this.fresh = start + count;
      for (let f = start; f < start + count; f++) this.take(f);
      return start;
    }
    // Search the recycled frames for a long enough run inside the bounds.
    const free = Array.from(this.freeStack.subarray(0, this.freeTop)).sort((a, b) => a - b);
    let runStart = 0;
    for (let k = 1; k <= free.length; k++) {
      if (k < free.length && free[k] === (free[k - 1] ?? -2) + 1) continue;
      // free[runStart..k-1] is a run of consecutive free frames.
      const runFirst = free[runStart] ?? 0;
      const runLast = free[k - 1] ?? -1;
      const first = aligned(Math.max(runFirst, lo));
      if (first + count - 1 <= Math.min(runLast, hi)) {
        let w = 0;
        for (let r = 0; r < this.freeTop; r++) {
          const f = this.freeStack[r] ?? -1;
          if (f < first || f >= first + count) this.freeStack[w++] = f;
        }
        this.freeTop = w;
        for (let f = first; f < first + count; f++) this.take(f);
        return first;
      }
      runStart = k;
    }
    return -1;
  }

  /**
   * Claims the specific frames [firstFrame, firstFrame + count) for a boot-time owner, as a
   * platform's memory map withholds RAM from the OS (CE's config.bib RESERVE regions, a frame
   * buffer): each gets one reference and is never handed out by the allocators. Returns false,
   * claiming nothing, when a frame of the range is not RAM or is already in use.
   */
  reserveRange(firstFrame: number, count: number): boolean {
    if (!Number.isInteger(firstFrame) || !Number.isInteger(count) || count <= 0 || firstFrame < 0 || firstFrame + count > this.totalFrames) return false;
    const end = firstFrame + count;
    for (let f = firstFrame; f < end; f++) if (this.refCount(f) > 0) return false;
    // Frames below `fresh` that are free sit on the free stack: take them off it.
    if (firstFrame < this.fresh) {
      let w = 0;
      for (let r = 0; r < this.freeTop; r++) {
        const f = this.freeStack[r] ?? -1;
        if (f < firstFrame || f >= end) this.freeStack[w++] = f;
      }
      this.freeTop = w;
    }
    // Fresh frames skipped over stay available: they go to the free stack, lowest on top.
    if (end > this.fresh) {
      for (let f = firstFrame - 1; f >= this.fresh; f--) this.pushFree(f);
      for (let f = Math.max(firstFrame, this.fresh); f < end; f++) this.take(f);
      for (let f = firstFrame; f < Math.min(this.fresh, end); f++) this.take(f);
      this.fresh = end;
    } else {
      for (let f = firstFrame; f < end; f++) this.take(f);
    }
    return true;
  }

  private pushFree(frame: number): void {
    if (this.freeTop === this.freeStack.length) {
      const bigger = new Int32Array(this.freeStack.length * 2);
      bigger.set(this.freeStack);
      this.freeStack = bigger;
    }
    this.freeStack[this.freeTop++] = frame;
  }

  /** Adds a holder to an allocated frame. */
  reference(frame: number): FrameError | null {
    if (!this.isAllocated(frame)) return "not-allocated";
    const c = this.chunk(frame);
    const i = frame & (FRAMES_PER_CHUNK - 1);
    c.refs[i] = (c.refs[i] ?? 0) + 1;
    return null;
  }

  /** Drops a holder; the frame is freed when none remain. */
  dereference(frame: number): FrameError | null {
    if (!this.isAllocated(frame)) return "not-allocated";
    const c = this.chunk(frame);
    const i = frame & (FRAMES_PER_CHUNK - 1);
    const left = (c.refs[i] ?? 0) - 1;
    c.refs[i] = left;
    if (left === 0) this.freeFrame(frame);
    return null;
  }

  /** A frame whose last reference went: back on the free list. */
  private freeFrame(frame: number): void {
    this.used--;
    this.pushFree(frame);
  }

  /** Locks a frame for I/O: one more lock and one more reference. */
  lock(frame: number): FrameError | null {
    const ci = frame >>> CHUNK_FRAME_SHIFT;
    // Consecutive frames share a chunk: remember the last one looked up.
    let c: Chunk | undefined;
    if (ci === this.lastChunkIndex) c = this.lastChunk;
    else {
      c = frame >= 0 && frame < this.totalFrames ? this.chunks[ci] : undefined;
      this.lastChunkIndex = c ? ci : -1;
      this.lastChunk = c;
    }
    const i = frame & (FRAMES_PER_CHUNK - 1);
    const refs = c ? (c.refs[i] ?? 0) : 0;
    if (!c || refs <= 0) return "not-allocated";
    c.locks[i] = (c.locks[i] ?? 0) + 1;
    c.refs[i] = refs + 1;
    return null;
  }

  /**
   * The reference and lock counts of the chunk holding `frame`, indexed by
   * `frame & FRAME_IN_CHUNK_MASK`; undefined when the frame is not RAM. For loops that lock many
   * frames in one pass (MmProbeAndLockPages), which must keep the counts as {@link lock} does.
   */
  countsOf(frame: number): FrameCounts | undefined {
    return frame >= 0 && frame < this.totalFrames ? this.chunks[frame >>> CHUNK_FRAME_SHIFT] : undefined;
  }

  /** Undoes {@link lock}. Refused when the frame is not locked. */
  unlock(frame: number): FrameError | null {
    if (!this.isAllocated(frame)) return "not-allocated";
    const c = this.chunk(frame);
    const i = frame & (FRAMES_PER_CHUNK - 1);
    if ((c.locks[i] ?? 0) <= 0) return "not-locked";
    c.locks[i] = (c.locks[i] ?? 0) - 1;
    return this.dereference(frame);
  }

  /**
   * Undoes {@link lock} for `frames[0..count)` in one pass (MmUnlockPages), skipping negative
   * entries and frames that are not allocated RAM (I/O space). Returns -1, or the index of the
   * first frame that is allocated but not locked, having unlocked the frames before it.
   */
  unlockFrames(frames: ArrayLike<number>, count: number): number {
    let ci = -1;
    let refs: Int32Array = NO_COUNTS;
    let locks: Int32Array = NO_COUNTS;
    for (let k = 0; k < count; k++) {
      const f = frames[k] ?? -1;
      if (f < 0) continue;
      const fc = f >>> CHUNK_FRAME_SHIFT;
      if (fc !== ci) {
        const c = f < this.totalFrames ? this.chunks[fc] : undefined;
        ci = c ? fc : -1;
        refs = c ? c.refs : NO_COUNTS;
        locks = c ? c.locks : NO_COUNTS;
      }
      const i = f & (FRAMES_PER_CHUNK - 1);
      const held = refs[i] ?? 0;
      if (held <= 0) continue;
      const locked = locks[i] ?? 0;
      if (locked <= 0) return k;
      locks[i] = locked - 1;
      refs[i] = held - 1;
      if (held === 1) this.freeFrame(f);
    }
    return -1;
  }

  /** The host bytes behind a RAM frame, allocating its chunk on first touch. */
  backing(frame: number): FrameBacking {
    const c = this.chunk(frame);
    if (!c.bytes) {
      if (this.released) throw new Error("this machine's memory was released (Machine.dispose): it cannot be used any more");
      c.bytes = chunkPool.pop() ?? new Uint8Array(CHUNK_BYTES);
      c.view = new DataView(c.bytes.buffer);
      this.chunkCount++;
    }
    return { bytes: c.bytes, view: c.view as DataView, offset: (frame & (FRAMES_PER_CHUNK - 1)) << PAGE_SHIFT };
  }

  /**
   * The host bytes behind a frame when its chunk has been touched; null when it never was (the
   * frame reads as zero). Allocates nothing: for debugger reads, which must not cost host memory.
   */
  peekBacking(frame: number): FrameBacking | null {
    const c = this.chunks[frame >>> CHUNK_FRAME_SHIFT];
    if (!c?.bytes || !c.view) return null;
    return { bytes: c.bytes, view: c.view, offset: (frame & (FRAMES_PER_CHUNK - 1)) << PAGE_SHIFT };
  }

  /** The chunk index of a frame: frames in one chunk share one host buffer. */
  static chunkOf(frame: number): number {
    return frame >>> CHUNK_FRAME_SHIFT;
  }

  /** Set by {@link release}. */
  private released = false;

  /**
   * Gives the host buffers back to the realm's pool for the next machine, cleared; this memory
   * must not be used afterwards (reading it would show the next machine's bytes).
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const c of this.chunks) {
      if (!c?.bytes) continue;
      const bytes = c.bytes;
      for (let i = 0; i < FRAMES_PER_CHUNK; i++) if (c.used[i]) bytes.fill(0, i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      c.bytes = null;
      c.view = null;
      if (chunkPool.length < CHUNK_POOL_MAX) chunkPool.push(bytes);
    }
  }

  /** Every frame with a non-zero lock count, for leak checks. */
  lockedFrames(): number[] {
    const out: number[] = [];
    this.chunks.forEach((c, ci) => {
      if (!c) return;
      for (let i = 0; i < FRAMES_PER_CHUNK; i++) {
        if ((c.locks[i] ?? 0) > 0) out.push((ci << CHUNK_FRAME_SHIFT) + i);
      }
    });
    return out;
  }
}
