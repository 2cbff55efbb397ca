// Pairings chosen with "KHO: Open Dump..." or a picker, remembered per workspace (workspaceState),
// keyed by the image's path.

import type * as vscode from 'vscode';
import type { Pairing } from './pairing';

const KEY = 'khoInspector.pairings';
type Stored = Omit<Pairing, 'image' | 'how'>;

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

  async forget(image: string): Promise<void> {
    const all = this.all();
    delete all[image];
    await this.memento.update(KEY, all);
  }
}
