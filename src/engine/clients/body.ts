// What each format decoder returns to the registry, which adds the subnode, address, pages,
// DTS text and diagnostics to make a ClientDecode.

import type { ClientField, ClientItem } from './types';

export interface ClientBody {
  summary: string;
  fields: ClientField[];
  children: ClientItem[];
}
