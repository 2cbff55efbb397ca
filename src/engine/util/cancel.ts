// Cancellation and progress, shaped like VS Code's so the extension can pass its own through.

export interface CancellationToken {
  readonly isCancellationRequested: boolean;
}

export const NEVER_CANCELLED: CancellationToken = { isCancellationRequested: false };

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** `done` and `total` are in the unit the stage names (bytes scanned, nodes walked, ...). */
export interface ProgressReport {
  stage: string;
  done: number;
  total?: number;
  message?: string;
}

export type ProgressSink = (p: ProgressReport) => void;

/** Options every long-running engine call accepts. */
export interface LongRunning {
  token?: CancellationToken;
  onProgress?: ProgressSink;
  /** Called between slices of work in async loops so the host can process messages; default: a resolved promise. */
  yieldNow?: () => Promise<void>;
}
