import type { ScenarioResult } from './scenario-harness.js';

const HEADERS = [
  'scenario',
  'connections',
  'refreshed',
  'connections lost',
  'tokens left unusable',
  'unusable: TikTok said invalid_grant',
  'duplicate TikTok refresh calls',
  'notes',
];

function cells(result: ScenarioResult, index: number): string[] {
  return [
    `${index + 1}. ${result.name}`,
    String(result.connections),
    String(result.refreshed),
    String(result.lost),
    String(result.unusable),
    String(result.tiktokSaid),
    String(result.duplicates),
    result.notes.join('; '),
  ];
}

/** The table for a terminal: columns padded, notes last (they run long). */
export function textTable(results: ScenarioResult[]): string {
  const rows = [HEADERS, ...results.map(cells)];
  const widths = HEADERS.map((_, column) =>
    column === HEADERS.length - 1 ? 0 : Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join(' | ');
  return [
    line(HEADERS),
    widths.map((w) => '-'.repeat(Math.max(w, 5))).join('-|-'),
    ...rows.slice(1).map(line),
  ].join('\n');
}

export function markdownTable(results: ScenarioResult[]): string {
  const escapePipes = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (row: string[]) => `| ${row.map(escapePipes).join(' | ')} |`;
  const align = HEADERS.map((_, column) => (column === 0 || column === HEADERS.length - 1 ? '---' : '---:'));
  return [line(HEADERS), `|${align.join('|')}|`, ...results.map((result, i) => line(cells(result, i)))].join(
    '\n',
  );
}
