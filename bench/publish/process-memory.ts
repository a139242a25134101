import { readFileSync, writeFileSync } from 'node:fs';

/** Resident memory of another process, from /proc (Linux): what the kernel charges it, heap and buffers alike. */
export class ProcessMemory {
  #timer: NodeJS.Timeout | undefined;
  #peakSampled = 0;
  /** Whether the kernel's high-water mark was reset (else the peak is sampled only, every `intervalMs`). */
  kernelPeak = false;

  constructor(private readonly pid: number) {}

  /** Current resident set, bytes. */
  rss(): number {
    return this.#field('VmRSS');
  }

  /** The kernel's high-water mark of the resident set since start or the last `resetPeak`, bytes. */
  peak(): number {
    return Math.max(this.#field('VmHWM'), this.#peakSampled);
  }

  /** Starts a new high-water mark (writing 5 to clear_refs resets VmHWM) and samples as a fallback. */
  resetPeak(intervalMs = 20): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      this.kernelPeak = true;
    } catch {
      // Not permitted here: the sampled peak still counts.
      this.kernelPeak = false;
    }
    this.#peakSampled = this.rss();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      this.#peakSampled = Math.max(this.#peakSampled, this.rss());
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #field(name: 'VmRSS' | 'VmHWM'): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  }
}
