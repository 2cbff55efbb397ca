// Number formatting in the webview (no engine import: the webview bundle stays small).

export function hex(v: bigint): string {
  return '0x' + v.toString(16);
}

export function humanSize(bytes: bigint | number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return (Number.isInteger(v) ? v.toString() : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[u];
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
