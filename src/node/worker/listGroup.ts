// A list of tree items that DumpTree pages and buckets: preserved blocks of one order, ranges,
// problems of one severity, client items, scratch areas... Each group knows its items by position
// and how their ids parse back; DumpTree does the bucketing and the paths.

import type { TreeNodeDto } from '../../protocol/model';

export interface ListGroup {
  /** The id of the node whose children this group lists. */
  id: string;
  total: number;
  /** Plural noun for bucket descriptions ("blocks", "items"). */
  noun: string;
  itemId(i: number): string;
  item(i: number, parentId: string): TreeNodeDto;
  /** Position of the item whose id is group id + `rest`, or -1. */
  parseItem(rest: string): number;
  /** Address span of items [lo, hi), for bucket labels; null when items are not sorted by address. */
  span(lo: number, hi: number): { start: bigint; end: bigint } | null;
  /** Ids from the root down to the group's node, without the group's own id. */
  ancestors(max: number): string[];
  /** The group's own node. */
  self(max: number): TreeNodeDto | null;
}

export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun.replace(/s$/, '') : noun}`;
}

/** Item ids made of the group id, a separator and the position: `problems/error!3`, `…/c12`. */
export function positionIds(
  groupId: string,
  sep: string,
): { itemId(i: number): string; parse(rest: string, total: number): number } {
  const re = new RegExp(`^${sep.replace(/[/!]/g, (c) => '\\' + c)}(\\d+)$`);
  return {
    itemId: (i) => `${groupId}${sep}${i}`,
    parse: (rest, total) => {
      const m = re.exec(rest);
      const i = m ? Number(m[1]) : -1;
      return i >= 0 && i < total ? i : -1;
    },
  };
}
