/** Prints aligned plain-text tables (numbers right-aligned), readable in a terminal and in CI logs. */

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | boolean;
}

export function formatTable<Row>(
  title: string,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
): string {
  const cells = rows.map((row) => columns.map((column) => display(column.value(row))));
  const numeric = columns.map((column) => rows.every((row) => typeof column.value(row) === 'number'));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => (line[i] as string).length)),
  );
  const pad = (text: string, i: number) =>
    numeric[i] ? text.padStart(widths[i] as number) : text.padEnd(widths[i] as number);
  const lines = [
    columns.map((column, i) => pad(column.header, i)).join('  '),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map((line) => line.map(pad).join('  ')),
  ];
  return `\n${title}\n${lines.map((line) => `  ${line.trimEnd()}`).join('\n')}\n`;
}

function display(value: string | number | boolean): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  return String(value);
}
