// Outcomes of the translation matrix, cell by cell: (inbound protocol, upstream protocol,
// feature). The test records every check here; docs/translation-matrix.json is built from
// it, and scripts/translation-doc.ts renders docs/translation.md from that file.
import type { InboundName } from './clients.ts';
import type { Format } from './oracle.ts';

export const FEATURES = ['text', 'tools', 'reasoning', 'finish', 'usage', 'signatures', 'images', 'errors', 'streaming', 'schema'] as const;
export type Feature = (typeof FEATURES)[number];

export type Status = 'pass' | 'fail' | 'n/a' | 'untested';

export interface Cell {
  status: Status;
  /** How many checks ran for this cell. */
  checks: number;
  /** The cases whose check failed (fixture ids, with the mode). */
  failed: string[];
  /** Why a cell is n/a. */
  note?: string;
}

export interface Matrix {
  about: string;
  inbound: Array<{ name: InboundName; label: string; path: string }>;
  upstream: Array<{ name: Format; label: string }>;
  features: Array<{ name: Feature; what: string }>;
  cells: Record<string, Record<string, Record<string, Cell>>>;
  /** Failures reported as bugs and not fixed yet (the test expects them to fail). */
  knownGaps: Array<{ clients: string; cases: string; feature: string; bug: string }>;
  exceptions: Array<{ applies: string; feature: string; rule: string; why: string }>;
}

/** Collects check outcomes while the tests run. */
export class Results {
  private readonly cells = new Map<string, { checks: number; failed: Set<string> }>();

  record(inbound: InboundName, upstream: Format, feature: Feature, ok: boolean, caseName: string): void {
    const key = `${inbound}|${upstream}|${feature}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { checks: 0, failed: new Set() };
      this.cells.set(key, cell);
    }
    cell.checks++;
    if (!ok) cell.failed.add(caseName);
  }

  get size(): number {
    let total = 0;
    for (const cell of this.cells.values()) total += cell.checks;
    return total;
  }

  cell(inbound: InboundName, upstream: Format, feature: Feature, notCarried?: string): Cell {
    const cell = this.cells.get(`${inbound}|${upstream}|${feature}`);
    if (notCarried && (!cell || cell.failed.size === 0)) return { status: 'n/a', checks: cell?.checks ?? 0, failed: [], note: notCarried };
    if (!cell) return { status: 'untested', checks: 0, failed: [] };
    const failed = [...cell.failed].sort();
    return { status: failed.length > 0 ? 'fail' : 'pass', checks: cell.checks, failed };
  }
}
