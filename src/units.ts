// Sizes and durations as people read them, in messages and tables alike.

/** "340 ms", "1.2 s", "2 s", "3 min 4 s", "2 h 5 min": precise when short, rounder when long. */
export function formatDuration(ms: number): string {
  const clamped = Math.max(0, ms);
  if (clamped < 950) return `${Math.round(clamped)} ms`;

  const tenths = Math.round(clamped / 100);
  if (tenths < 600) return `${tenths / 10} s`;

  const seconds = Math.round(clamped / 1000);
  if (seconds < 3600) return joinUnits(Math.floor(seconds / 60), 'min', seconds % 60, 's');

  const minutes = Math.round(clamped / 60_000);
  return joinUnits(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
}

/** "256 MiB", "1 GiB", "1.3 MiB": binary units, as the engine's limits are set. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}

function joinUnits(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
}
