import { describe, expect, it } from 'vitest';
import type { EventStream, JobEvent } from '../../src/jobs/model.js';
import {
  type EventLimits,
  EventRecorder,
  LineSplitter,
  MAX_LINE_BYTES,
  TextTail,
} from '../../src/jobs/output.js';

/** Pushes every chunk, then flushes: every line the splitter answers, in order. */
function split(chunks: (string | Buffer)[]): string[] {
  const splitter = new LineSplitter();
  const lines = chunks.flatMap((chunk) =>
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk),
  );
  return [...lines, ...splitter.flush()];
}

describe('LineSplitter', () => {
  it('joins a line that arrives across chunks', () => {
    expect(split(['extract', 'ing cars', '.csv\n'])).toEqual(['extracting cars.csv']);
  });

  it('answers several lines of one chunk in order', () => {
    expect(split(['one\ntwo\nthree\n'])).toEqual(['one', 'two', 'three']);
  });

  it('answers a line only once its newline has arrived', () => {
    const splitter = new LineSplitter();

    expect(splitter.push(Buffer.from('half a li'))).toEqual([]);
    expect(splitter.push(Buffer.from('ne\nnext'))).toEqual(['half a line']);
    expect(splitter.flush()).toEqual(['next']);
  });

  it('drops the CR of CRLF line ends, also when CR and LF arrive apart', () => {
    expect(split(['a\r\nb\r', '\nc\r\n'])).toEqual(['a', 'b', 'c']);
  });

  it('keeps empty lines', () => {
    expect(split(['a\n\n\nb\n'])).toEqual(['a', '', '', 'b']);
  });

  it('gives the last line without a newline on flush', () => {
    expect(split(['done\nno newline at the end'])).toEqual(['done', 'no newline at the end']);
  });

  it('flushes nothing when the output ended with a newline', () => {
    const splitter = new LineSplitter();
    splitter.push(Buffer.from('all done\n'));

    expect(splitter.flush()).toEqual([]);
  });

  it('decodes a UTF-8 character split across chunks', () => {
    const bytes = Buffer.from('Zürich\n');

    expect(split([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual(['Zürich']);
  });

  it('cuts a 200 KiB line into pieces of at most 64 KiB, losing nothing', () => {
    const line = Array.from({ length: 200 * 1024 }, (_, i) =>
      String.fromCharCode(97 + (i % 26)),
    ).join('');
    const chunks: string[] = [];
    for (let at = 0; at < line.length; at += 5000) chunks.push(line.slice(at, at + 5000));

    const pieces = split([...chunks, '\nafter\n']);

    expect(pieces.at(-1)).toBe('after');
    const cut = pieces.slice(0, -1);
    expect(cut.length).toBe(4);
    for (const piece of cut) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(cut.join('')).toBe(line);
  });

  it('keeps a line one byte shorter than the limit whole', () => {
    const line = 'x'.repeat(MAX_LINE_BYTES - 1);

    expect(split([`${line}\nnext\n`])).toEqual([line, 'next']);
  });

  it('gives a line of exactly 64 KiB as one line, with no empty line after it', () => {
    const line = 'x'.repeat(MAX_LINE_BYTES);

    expect(split([`${line}\nnext\n`])).toEqual([line, 'next']);
  });

  it('turns invalid UTF-8 into U+FFFD without throwing', () => {
    const bytes = Buffer.concat([Buffer.from('bad '), Buffer.from([0xff, 0xfe, 0x0a])]);

    const lines = split([bytes]);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('bad \uFFFD\uFFFD');
  });
});

function event(stream: EventStream, text: string): JobEvent {
  const level = stream === 'stderr' ? 'warn' : 'info';
  return { jobId: 'job-1', attempt: 1, time: '2024-01-01T00:00:00.000Z', stream, level, text };
}

/** An EventRecorder saving into `saved`; `batches` has the size of each save. */
function recorder(limits: Partial<EventLimits> = {}) {
  const saved: JobEvent[] = [];
  const batches: number[] = [];
  const full: EventLimits = {
    headLines: 3,
    tailLines: 2,
    tailChars: 1024 * 1024,
    batchLines: 2,
    ...limits,
  };
  const rec = new EventRecorder(async (events) => {
    batches.push(events.length);
    saved.push(...events);
  }, full);
  return { rec, saved, batches };
}

describe('EventRecorder', () => {
  it('stores runner messages between dropped lines in the order they happened', async () => {
    const { rec, saved } = recorder({ headLines: 2, tailLines: 3 });
    const lines = ['o1', 'o2', 'o3', 'o4'].map((text) => event('stdout', text));
    const later = ['o5', 'o6', 'o7', 'o8'].map((text) => event('stdout', text));

    await rec.add([...lines, event('runner', 'retrying'), ...later, event('runner', 'done')]);
    await rec.close();

    expect(saved.map((e) => e.text)).toEqual(['o1', 'o2', 'retrying', 'o6', 'o7', 'o8', 'done']);
    expect(rec.dropped).toBe(3);
  });

  it('saves every line when there are fewer than the head limit', async () => {
    const { rec, saved } = recorder({ headLines: 10 });
    for (const text of ['a', 'b', 'c']) await rec.add([event('stdout', text)]);
    await rec.close();

    expect(saved.map((e) => e.text)).toEqual(['a', 'b', 'c']);
    expect(rec.dropped).toBe(0);
  });

  it('keeps the head in order, the last lines as the tail, and counts the rest', async () => {
    const { rec, saved } = recorder({ headLines: 3, tailLines: 2 });
    for (let i = 1; i <= 10; i += 1) await rec.add([event('stdout', `line ${i}`)]);
    await rec.close();

    expect(saved.map((e) => e.text)).toEqual(['line 1', 'line 2', 'line 3', 'line 9', 'line 10']);
    expect(rec.dropped).toBe(5);
  });

  it('saves the head in batches while the job runs, before close', async () => {
    const { rec, saved, batches } = recorder({ headLines: 10, batchLines: 2 });
    for (const text of ['a', 'b', 'c', 'd', 'e']) await rec.add([event('stdout', text)]);

    expect(saved.map((e) => e.text)).toEqual(['a', 'b', 'c', 'd']);
    await rec.close();
    expect(batches).toEqual([2, 2, 1]);
  });

  it('always keeps runner events, also in the middle of dropped output', async () => {
    const { rec, saved } = recorder({ headLines: 1, tailLines: 1 });
    await rec.add([event('stdout', 'first')]);
    for (let i = 0; i < 50; i += 1) await rec.add([event('stderr', `noise ${i}`)]);
    await rec.add([event('runner', 'attempt 1 failed: devicemapper')]);
    for (let i = 50; i < 100; i += 1) await rec.add([event('stderr', `noise ${i}`)]);
    await rec.add([event('runner', 'retrying in 2 s')]);
    await rec.close();

    expect(saved.filter((e) => e.stream === 'runner').map((e) => e.text)).toEqual([
      'attempt 1 failed: devicemapper',
      'retrying in 2 s',
    ]);
    expect(saved.filter((e) => e.stream !== 'runner').map((e) => e.text)).toEqual([
      'first',
      'noise 99',
    ]);
    expect(rec.dropped).toBe(99);
  });

  it('does not let runner events use up the head', async () => {
    const { rec, saved } = recorder({ headLines: 2, tailLines: 1 });
    for (let i = 0; i < 5; i += 1) await rec.add([event('runner', `runner ${i}`)]);
    for (const text of ['a', 'b', 'c', 'd']) await rec.add([event('stdout', text)]);
    await rec.close();

    expect(saved.filter((e) => e.stream !== 'runner').map((e) => e.text)).toEqual(['a', 'b', 'd']);
  });

  it('keeps the tail within its byte limit, always keeping the last line', async () => {
    const { rec, saved } = recorder({ headLines: 0, tailLines: 100, tailChars: 25 });
    for (let i = 0; i < 10; i += 1) await rec.add([event('stdout', `${i}`.padStart(10, '.'))]);
    await rec.add([event('stdout', 'x'.repeat(40))]);
    await rec.close();

    expect(saved.map((e) => e.text)).toEqual(['x'.repeat(40)]);
    expect(rec.dropped).toBe(10);
  });

  it('holds a bounded number of lines out of 200,000 and counts the dropped exactly', async () => {
    const { rec, saved } = recorder({ headLines: 100, tailLines: 100, batchLines: 50 });
    await rec.add([event('runner', 'attempt 1 started')]);
    for (let i = 0; i < 200_000; i += 1) {
      await rec.add([event(i % 2 ? 'stderr' : 'stdout', `row ${i}`)]);
      if (i === 100_000) await rec.add([event('runner', 'still running')]);
    }
    await rec.add([event('runner', 'attempt 1 ended')]);
    await rec.close();

    const output = saved.filter((e) => e.stream !== 'runner').map((e) => e.text);
    expect(saved).toHaveLength(200 + 3);
    expect(output.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `row ${i}`));
    expect(output.slice(100)).toEqual(Array.from({ length: 100 }, (_, i) => `row ${199_900 + i}`));
    expect(rec.dropped).toBe(199_800);
  });

  it('takes many events in one call like the same events one at a time', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const one = recorder({ headLines: 3, tailLines: 4 });
    const many = recorder({ headLines: 3, tailLines: 4 });
    for (const text of texts) await one.rec.add([event('stdout', text)]);
    await many.rec.add(texts.map((text) => event('stdout', text)));
    await one.rec.close();
    await many.rec.close();

    expect(many.saved.map((e) => e.text)).toEqual(one.saved.map((e) => e.text));
    expect(many.rec.dropped).toBe(13);
  });

  it('saves nothing more when closed twice', async () => {
    const { rec, saved } = recorder({ headLines: 1, tailLines: 1 });
    for (const text of ['a', 'b', 'c']) await rec.add([event('stdout', text)]);
    await rec.close();
    await rec.close();

    expect(saved.map((e) => e.text)).toEqual(['a', 'c']);
  });
});

describe('TextTail', () => {
  it('keeps everything while it is short', () => {
    const tail = new TextTail(100);
    tail.add('first');
    tail.add('second');

    expect(tail.toString()).toBe('first\nsecond\n');
  });

  it('keeps the end of a long text, no longer than its limit', () => {
    const tail = new TextTail(20);
    for (let i = 0; i < 1000; i += 1) tail.add(`line ${i}`);

    const text = tail.toString();
    expect(text.length).toBeLessThanOrEqual(20);
    expect(text.endsWith('line 998\nline 999\n')).toBe(true);
  });

  it('is empty after clear', () => {
    const tail = new TextTail(20);
    tail.add('error: table not found');
    tail.clear();

    expect(tail.toString()).toBe('');
  });
});
