export interface SyncProgress {
  phase: 'scanning' | 'transferring' | 'deleting' | 'done';
  /** Entries to transfer (files, links, directories) and how many went through. */
  filesDone: number;
  filesTotal: number;
  /** Data bytes to transfer and how many went through (never above the total until the end). */
  bytesDone: number;
  bytesTotal: number;
}

export type SyncProgressFn = (p: SyncProgress) => void | Promise<void>;

/** Calls `onProgress` at most every `intervalMs` (phase changes and the end always go through); never throws. */
export class ProgressReporter {
  private last = 0;
  current: SyncProgress = { phase: 'scanning', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };

  constructor(
    private readonly onProgress?: SyncProgressFn,
    private readonly intervalMs = 500,
  ) {}

  update(p: Partial<SyncProgress>, force = false): void {
    const phaseChanged = p.phase !== undefined && p.phase !== this.current.phase;
    this.current = { ...this.current, ...p };
    if (this.current.bytesDone > this.current.bytesTotal && this.current.phase !== 'done')
      this.current.bytesDone = this.current.bytesTotal;
    const now = Date.now();
    if (!force && !phaseChanged && now - this.last < this.intervalMs) return;
    this.last = now;
    void this.call();
  }

  /** The last report: phase 'done', totals as final. Awaited, so the caller sees it before the result. */
  async finish(p: Partial<SyncProgress>): Promise<void> {
    this.current = { ...this.current, ...p, phase: 'done' };
    await this.call();
  }

  private async call(): Promise<void> {
    if (!this.onProgress) return;
    try {
      await this.onProgress({ ...this.current });
    } catch {
      // a failing progress callback does not stop the work
    }
  }
}
