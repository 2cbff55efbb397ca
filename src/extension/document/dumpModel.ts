// One opened dump, independent of VS Code: its pairing, its engine session and the decode state.
// KhoDocument adapts it to vscode.CustomDocument; commands, tree and webview query through it.

import * as path from 'path';
import type {
  DiagnosticDto,
  LookupDto,
  MapExtentsDto,
  MapTilesDto,
  MapTilesRequest,
  Page,
  RevealTargetDto,
  SummaryDto,
  TreeNodeDto,
} from '../../protocol/model';
import { RpcError, type ProgressData, type RpcCancellationToken } from '../../protocol/rpc';
import type { OpenParams } from '../../protocol/worker';
import type { EngineSession, EngineStarter } from '../engineHost/engineSession';
import type { Pairing } from './pairing';

export type DecodeState =
  | { status: 'idle' }
  | { status: 'decoding'; message: string }
  | { status: 'ready'; summary: SummaryDto; extents: MapExtentsDto }
  | { status: 'failed'; message: string; cancelled: boolean };

export interface DecodeRun {
  token?: RpcCancellationToken;
  onProgress?: (p: ProgressData) => void;
}

const DONE_STATES = new Set(['ready', 'failed']);

/** The worker's open request for a pairing. */
export function openParams(p: Pairing): OpenParams {
  return {
    imagePath: p.image,
    qmp: p.qmp ?? null,
    pause: p.pauseWhileReading ?? false,
    fdtPath: p.fdt,
    fdtAddress: p.fdtAddress,
    base: p.base,
    pageSize: p.pageSize,
    format: p.format,
    preFix16k: p.preFix16k ?? false,
    scratchPhysPath: p.scratchPhys ?? null,
    scratchLenPath: p.scratchLen ?? null,
    setupData: p.setupData ?? null,
    numa: p.numa ?? null,
  };
}

export class DumpModel {
  private session: EngineSession | null = null;
  private sessionStart: Promise<EngineSession> | null = null;
  private _state: DecodeState = { status: 'idle' };
  private generation = 0;
  private started = 0;
  private current: { flag: Int32Array; done: Promise<unknown> } | null = null;
  private listeners: ((s: DecodeState) => void)[] = [];
  private disposed = false;

  constructor(
    readonly filePath: string,
    private _pairing: Pairing,
    private readonly startEngine: EngineStarter,
  ) {}

  get pairing(): Pairing {
    return this._pairing;
  }
  get state(): DecodeState {
    return this._state;
  }
  get summary(): SummaryDto | undefined {
    return this._state.status === 'ready' ? this._state.summary : undefined;
  }
  get fileName(): string {
    return path.basename(this.filePath);
  }
  /** How many decodes were started for this document (a refresh or re-pairing starts one). */
  get decodesStarted(): number {
    return this.started;
  }

  onDidChangeState(l: (s: DecodeState) => void): { dispose(): void } {
    this.listeners.push(l);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((x) => x !== l);
      },
    };
  }

  private setState(s: DecodeState): void {
    this._state = s;
    for (const l of [...this.listeners]) l(s);
  }

  setPairing(p: Pairing): void {
    this._pairing = p;
  }

  /** Marks the document failed without decoding (e.g. an invalid *.kho.json). */
  fail(message: string): void {
    this.generation++;
    this.setState({ status: 'failed', message, cancelled: false });
  }

  private async engine(): Promise<EngineSession> {
    if (this.session) return this.session;
    if (!this.sessionStart) {
      this.sessionStart = this.startEngine().then((s) => {
        if (this.disposed) {
          s.dispose();
          throw new RpcError('closed', 'the dump was closed');
        }
        this.session = s;
        s.onDidExit((reason) => {
          this.session = null;
          this.sessionStart = null;
          if (this._state.status !== 'failed') this.setState({ status: 'failed', message: reason, cancelled: false });
        });
        return s;
      });
      this.sessionStart.catch(() => {
        this.sessionStart = null;
      });
    }
    return this.sessionStart;
  }

  /** (Re)decodes with the current pairing; a decode already running is cancelled first. */
  async decode(run: DecodeRun = {}): Promise<SummaryDto> {
    const gen = ++this.generation;
    this.started++;
    if (this.current) {
      Atomics.store(this.current.flag, 0, 1);
      await this.current.done.catch(() => undefined);
    }
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const cancelSub = run.token?.onCancellationRequested(() => Atomics.store(flag, 0, 1));
    const p = this._pairing;
    this.setState({ status: 'decoding', message: `Decoding ${this.fileName}…` });
    const work = (async () => {
      const engine = await this.engine();
      const summary = await engine.request(
        'open',
        { ...openParams(p), cancelFlag: flag.buffer as SharedArrayBuffer },
        { token: run.token, onProgress: run.onProgress },
      );
      const extents = await engine.request('mapExtents', {});
      return { summary, extents };
    })();
    this.current = { flag, done: work };
    try {
      const { summary, extents } = await work;
      if (gen === this.generation) this.setState({ status: 'ready', summary, extents });
      return summary;
    } catch (e) {
      const cancelled = e instanceof RpcError && e.cancelled;
      if (gen === this.generation) {
        this.setState({
          status: 'failed',
          message: cancelled ? 'Decoding was cancelled.' : (e as Error).message,
          cancelled,
        });
      }
      throw e;
    } finally {
      cancelSub?.dispose();
      if (this.current?.done === work) this.current = null;
    }
  }

  /** Resolves when the current (or next) decode finishes; rejects if it fails. */
  whenDecoded(): Promise<SummaryDto> {
    const settle = (s: DecodeState): SummaryDto | Error | undefined =>
      s.status === 'ready' ? s.summary : s.status === 'failed' ? new Error(s.message) : undefined;
    const now = settle(this._state);
    if (now instanceof Error) return Promise.reject(now);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const sub = this.onDidChangeState((s) => {
        if (!DONE_STATES.has(s.status)) return;
        sub.dispose();
        const r = settle(s);
        if (r instanceof Error) reject(r);
        else resolve(r!);
      });
    });
  }

  private async ready(): Promise<EngineSession> {
    if (this._state.status !== 'ready' || !this.session) throw new RpcError('error', `${this.fileName} is not decoded`);
    return this.session;
  }

  async children(nodeId: string | null, maxItemsPerGroup: number): Promise<TreeNodeDto[]> {
    const engine = await this.ready();
    const out: TreeNodeDto[] = [];
    // Buckets keep a level at or below maxItemsPerGroup; page anyway so no message is unbounded.
    for (let start = 0; ;) {
      const page = await engine.request('children', { nodeId, start, count: 2000, maxItemsPerGroup });
      out.push(...page.items);
      start += page.items.length;
      if (page.items.length === 0 || start >= page.total) return out;
    }
  }

  async node(nodeId: string, maxItemsPerGroup: number): Promise<TreeNodeDto | null> {
    return (await this.ready()).request('node', { nodeId, maxItemsPerGroup });
  }

  async lookup(address: string, maxItemsPerGroup: number): Promise<LookupDto> {
    return (await this.ready()).request('lookup', { address, maxItemsPerGroup });
  }

  async mapTiles(req: MapTilesRequest): Promise<MapTilesDto> {
    return (await this.ready()).request('mapTiles', req);
  }

  async revealTarget(nodeId: string, maxItemsPerGroup: number): Promise<RevealTargetDto | null> {
    return (await this.ready()).request('revealTarget', { nodeId, maxItemsPerGroup });
  }

  async dts(nodeId: string): Promise<{ name: string; text: string } | null> {
    return (await this.ready()).request('dts', { nodeId });
  }

  async diagnostics(start: number, count: number): Promise<Page<DiagnosticDto>> {
    return (await this.ready()).request('diagnostics', { start, count });
  }

  /** The worker behind a decoded dump, for editing requests (document/editing.ts). */
  editingEngine(): Promise<EngineSession> {
    return this.ready();
  }

  /** The worker decoded an edited state: the tree, the map and the problems follow it. */
  showEdited(summary: SummaryDto, extents: MapExtentsDto): void {
    this.setState({ status: 'ready', summary, extents });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.current) Atomics.store(this.current.flag, 0, 1);
    this.session?.dispose();
    this.session = null;
    this.listeners = [];
  }
}
