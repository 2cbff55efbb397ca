// Number formatting in the webview: the engine's pure helpers (esbuild keeps only what is used).

export { hex, humanSize } from '../../src/engine/util/hex';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  cls?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
