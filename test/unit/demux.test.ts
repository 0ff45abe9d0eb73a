import { describe, expect, it } from 'vitest';
import { type Frame, FrameDecoder } from '../../src/engine/demux.js';

/** One frame as the engine sends it: type, three zero bytes, size (uint32 BE), payload. */
function frame(type: number, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** What a frame says, in a form easy to compare. */
function read(frames: Frame[]): [string, string][] {
  return frames.map((f) => [f.stream, f.payload.toString('utf8')]);
}

describe('FrameDecoder', () => {
  it('decodes one stdout frame in one chunk', () => {
    expect(read(new FrameDecoder().push(frame(1, 'hello\n')))).toEqual([['stdout', 'hello\n']]);
  });

  it('decodes stream type 2 as stderr and types 0 and 1 as stdout', () => {
    const chunk = Buffer.concat([frame(2, 'oops'), frame(1, 'out'), frame(0, 'in')]);

    expect(read(new FrameDecoder().push(chunk))).toEqual([
      ['stderr', 'oops'],
      ['stdout', 'out'],
      ['stdout', 'in'],
    ]);
  });

  it('decodes many frames of one chunk in order', () => {
    const texts = Array.from({ length: 100 }, (_, i) => `row ${i}\n`);
    const chunk = Buffer.concat(texts.map((t, i) => frame(i % 3 === 0 ? 2 : 1, t)));

    const frames = new FrameDecoder().push(chunk);

    expect(frames.map((f) => f.payload.toString())).toEqual(texts);
    expect(frames.filter((f) => f.stream === 'stderr')).toHaveLength(34);
  });

  it('decodes the same frames wherever the stream is cut in two', () => {
    const stream = Buffer.concat([frame(1, 'first line\n'), frame(2, 'warn: x\n'), frame(1, '')]);
    const whole = read(new FrameDecoder().push(stream));

    for (let at = 0; at <= stream.length; at += 1) {
      const decoder = new FrameDecoder();
      const frames = [
        ...decoder.push(stream.subarray(0, at)),
        ...decoder.push(stream.subarray(at)),
      ];

      expect(read(frames), `cut at byte ${at}`).toEqual(whole);
    }
    expect(whole).toEqual([
      ['stdout', 'first line\n'],
      ['stderr', 'warn: x\n'],
      ['stdout', ''],
    ]);
  });

  it('decodes a stream that arrives one byte at a time', () => {
    const stream = Buffer.concat([frame(1, 'abc'), frame(2, 'defgh'), frame(1, 'ijkl')]);
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (const byte of stream) frames.push(...decoder.push(Buffer.from([byte])));

    expect(read(frames)).toEqual([
      ['stdout', 'abc'],
      ['stderr', 'defgh'],
      ['stdout', 'ijkl'],
    ]);
  });

  it('answers nothing until a frame is complete', () => {
    const decoder = new FrameDecoder();
    const whole = frame(1, 'complete');

    expect(decoder.push(whole.subarray(0, 5))).toEqual([]);
    expect(decoder.push(whole.subarray(5, 12))).toEqual([]);
    expect(read(decoder.push(whole.subarray(12)))).toEqual([['stdout', 'complete']]);
  });

  it('answers zero-length frames as empty payloads', () => {
    const chunk = Buffer.concat([frame(1, ''), frame(2, ''), frame(1, 'after')]);

    expect(read(new FrameDecoder().push(chunk))).toEqual([
      ['stdout', ''],
      ['stderr', ''],
      ['stdout', 'after'],
    ]);
  });

  it('keeps binary payloads byte for byte', () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0x0a, 0xfe, 0x80]);
    const [decoded] = new FrameDecoder().push(frame(1, bytes));

    expect(decoded?.payload.equals(bytes)).toBe(true);
  });

  it('decodes a frame larger than the chunks it arrives in', () => {
    const big = Buffer.alloc(300 * 1024, 0x61);
    const stream = frame(2, big);
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (let at = 0; at < stream.length; at += 16 * 1024) {
      frames.push(...decoder.push(stream.subarray(at, at + 16 * 1024)));
    }

    expect(frames).toHaveLength(1);
    expect(frames[0]?.stream).toBe('stderr');
    expect(frames[0]?.payload.equals(big)).toBe(true);
  });
});
