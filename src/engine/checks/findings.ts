// The checker's findings, capped per code, so a dump with a million bad blocks yields a readable report:
// the first few of each kind in full, then one `check-suppressed` line per code counting the rest.

import { DiagnosticCap } from '../diagnosticCap';
import { diag } from '../diagnostics';

export const DEFAULT_PER_CODE = 20;

/** `add` a finding, `pass` findings another module already capped (client decoders), then `list`. */
export class Findings extends DiagnosticCap {
  constructor(perCode = DEFAULT_PER_CODE) {
    super({ per: 'code', max: perCode }, (overflows) =>
      [...overflows]
        .sort((a, b) => a.firstDropped - b.firstDropped)
        .map((o) =>
          diag(
            o.droppedSeverity === 'info' ? 'info' : 'warning',
            'check-suppressed',
            null,
            `${o.dropped} further "${o.code}" finding(s) left out (the first ${perCode} are listed)`,
          ),
        ),
    );
  }
}
