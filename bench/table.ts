/** Tables for the benchmarks' output: padded text for a terminal, Markdown for bench/results/. */

export type Align = 'left' | 'right';

/** First column left-aligned, the others right-aligned unless told. */
function alignments(header: readonly string[], align?: readonly Align[]): Align[] {
  return header.map((_, column) => align?.[column] ?? (column === 0 ? 'left' : 'right'));
}

export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const aligned = alignments(header, align);
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        aligned[column] === 'left' ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const aligned = alignments(header, align);
  const line = (row: readonly string[]) =>
    `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  const rule = `|${aligned.map((a) => (a === 'left' ? '---' : '---:')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
