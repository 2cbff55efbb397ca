// Pairings chosen with "KHO: Open Dump..." or a picker, remembered per workspace (workspaceState),
// keyed by the image's path.

import type * as vscode from 'vscode';
import type { Pairing } from './pairing';

const KEY = 'khoInspector.pairings';
const MODES = 'khoInspector.decodeModes';
type Stored = Omit<Pairing, 'image' | 'how'>;

/** Choices made for a dump however it is opened (a *.kho.json, the image, Open Dump). */
export type DecodeMode = Pick<Pairing, 'preFix16k' | 'scratchPhys' | 'scratchLen' | 'setupData'>;

export class PairingStore {
  constructor(private readonly memento: vscode.Memento) {}

  private all(): Record<string, Stored> {
    return this.memento.get<Record<string, Stored>>(KEY, {});
  }

  get(image: string): Pairing | undefined {
    const s = this.all()[image];
    return s ? { ...s, image, how: 'remembered' } : undefined;
  }

  /** A remembered pairing that uses `fdt` as its FDT (opening the FDT finds its image). */
  byFdt(fdt: string): Pairing | undefined {
    const hit = Object.entries(this.all()).find(([, s]) => s.fdt === fdt);
    return hit ? { ...hit[1], image: hit[0], how: 'remembered' } : undefined;
  }

  async remember(p: Pairing): Promise<void> {
    if (p.image === null) return;
    const { image, how: _how, ...rest } = p;
    await this.memento.update(KEY, { ...this.all(), [image]: rest });
  }

  private modes(): Record<string, DecodeMode> {
    return this.memento.get<Record<string, DecodeMode>>(MODES, {});
  }

  /** The pairing with the decode choices remembered for its image (or FDT) applied. */
  withMode(p: Pairing): Pairing {
    const key = p.image ?? p.fdt;
    const m = key ? this.modes()[key] : undefined;
    return m ? { ...p, ...m } : p;
  }

  /** Remembers decode choices (pre-fix depth, scratch files, setup_data) for the pairing's image. */
  async setMode(p: Pairing, patch: DecodeMode): Promise<void> {
    const key = p.image ?? p.fdt;
    if (!key) return;
    const all = this.modes();
    await this.memento.update(MODES, { ...all, [key]: { ...all[key], ...patch } });
  }

  async forget(image: string): Promise<void> {
    const all = this.all();
    delete all[image];
    await this.memento.update(KEY, all);
  }
}
