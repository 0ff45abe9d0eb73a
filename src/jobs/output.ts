// The component's output: split into lines, shown live, and kept as the job's events within
// fixed bounds, so that a component printing gigabytes cannot exhaust the runner's memory.

import type { EventStream, JobEvent } from './model.js';

/** A longer line is cut into pieces of this size. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Splits one stream's chunks into lines; a line longer than MAX_LINE_BYTES is cut. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  /** Takes a chunk and answers the lines it completes, without their line ends. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;

    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      const room = MAX_LINE_BYTES - this.size;

      if (end - start > room) {
        this.parts.push(chunk.subarray(start, start + room));
        this.size += room;
        lines.push(this.take());
        start += room;
        continue;
      }

      this.parts.push(chunk.subarray(start, end));
      this.size += end - start;
      if (newline === -1) break;

      lines.push(this.take());
      start = newline + 1;
    }

    return lines;
  }

  /** Answers what is left after the stream ended, if anything. */
  flush(): string[] {
    return this.size > 0 ? [this.take()] : [];
  }

  private take(): string {
    // Invalid UTF-8 becomes U+FFFD rather than an error. A multi-byte character cut at
    // MAX_LINE_BYTES also becomes U+FFFD; cut at a character boundary if that ever matters.
    const line = Buffer.concat(this.parts, this.size).toString('utf8').replace(/\r$/, '');
    this.parts = [];
    this.size = 0;
    return line;
  }
}

export interface EventLimits {
  /** The first lines of a job, all kept. */
  headLines: number;
  /** Of the rest, the last lines kept, and at most tailChars characters of them. */
  tailLines: number;
  tailChars: number;
  /** Lines written to the store at a time. */
  batchLines: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  headLines: 10_000,
  tailLines: 10_000,
  tailChars: 4 * 1024 * 1024,
  batchLines: 500,
};

/**
 * Keeps a job's output lines as events: the first `headLines` go to the store in batches,
 * the last `tailLines` wait in a ring until the end, and the lines in between are counted as
 * dropped. Runner messages are always kept.
 */
export class EventRecorder {
  private batch: JobEvent[] = [];
  /** Runner events older than every line still in the tail: kept, in order. */
  private pinned: JobEvent[] = [];
  private tail: JobEvent[] = [];
  private tailStart = 0;
  private tailChars = 0;
  private tailLines = 0;
  private outputLines = 0;
  dropped = 0;

  constructor(
    private readonly save: (events: JobEvent[]) => Promise<void>,
    private readonly limits: EventLimits = DEFAULT_EVENT_LIMITS,
  ) {}

  /** Takes events in order; writes to the store only when a batch is full. */
  async add(events: JobEvent[]): Promise<void> {
    for (const event of events) {
      const output = event.stream !== 'runner';

      if (this.outputLines < this.limits.headLines) {
        if (output) this.outputLines += 1;
        this.batch.push(event);
        if (this.batch.length >= this.limits.batchLines) await this.flushBatch();
        continue;
      }

      // Past the head, runner events wait in the tail too, so that the stored order is the
      // order things happened in.
      if (output) this.outputLines += 1;
      this.keepInTail(event);
    }
  }

  private keepInTail(event: JobEvent): void {
    this.tail.push(event);
    this.tailChars += event.text.length;
    if (event.stream !== 'runner') this.tailLines += 1;

    while (
      this.tailLines > this.limits.tailLines ||
      (this.tailChars > this.limits.tailChars && this.tailLines > 1)
    ) {
      const gone = this.tail[this.tailStart];
      if (!gone) break;
      this.tailStart += 1;
      this.tailChars -= gone.text.length;

      if (gone.stream === 'runner') {
        this.pinned.push(gone);
      } else {
        this.tailLines -= 1;
        this.dropped += 1;
      }
    }

    // Dropping from the front by index, compacting now and then, keeps each line O(1).
    if (this.tailStart > this.limits.tailLines) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailStart = 0;
    }
  }

  /** Writes everything still held; call once when the job ends. */
  async close(): Promise<void> {
    await this.flushBatch();
    const rest = [...this.pinned, ...this.tail.slice(this.tailStart)];
    this.pinned = [];
    this.tail = [];
    this.tailStart = 0;
    this.tailChars = 0;
    this.tailLines = 0;
    if (rest.length > 0) await this.save(rest);
  }

  private async flushBatch(): Promise<void> {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    await this.save(batch);
  }
}

/** Keeps the last `maxChars` characters of a stream's text, for the message shown to the user. */
export class TextTail {
  private text = '';

  constructor(private readonly maxChars = 4000) {}

  add(line: string): void {
    this.text = `${this.text}${line}\n`;
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars);
  }

  toString(): string {
    return this.text.length > this.maxChars ? this.text.slice(-this.maxChars) : this.text;
  }

  clear(): void {
    this.text = '';
  }
}

export type { EventStream };
