// Printing helpers shared by the commands: durations, times and aligned columns for a terminal.

import { formatDuration } from '../units.js';

export { formatDuration };

/** A value that is not there yet or not known, in a table cell. */
export const MISSING = '-';

/** Milliseconds from one ISO-8601 time to another; null when either is missing or unreadable. */
export function millisBetween(start: string | null, end: string | null): number | null {
  if (start === null || end === null) {
    return null;
  }

  const ms = Date.parse(end) - Date.parse(start);
  return Number.isNaN(ms) ? null : ms;
}

export function formatDurationBetween(start: string | null, end: string | null): string {
  const ms = millisBetween(start, end);
  return ms === null ? MISSING : formatDuration(ms);
}

/** "2024-05-01 12:00:03Z": the stored ISO-8601 time without the `T` and the milliseconds. */
export function formatTime(iso: string | null): string {
  if (iso === null) {
    return MISSING;
  }

  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Columns padded to their widest cell, two spaces apart; the last column is never padded. */
export function formatTable(headers: readonly string[], rows: readonly string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );

  return all
    .map((row) =>
      widths
        .map((width, column) => (row[column] ?? '').padEnd(width))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "label:  value" lines with the values aligned. */
export function formatFields(fields: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`).join('\n');
}

/** Text on one line, for a table cell: line breaks and runs of spaces become one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
