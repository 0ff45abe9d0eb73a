// Splits the engine's multiplexed attach stream into stdout and stderr payloads.
// Each frame is an 8-byte header (stream type, three zero bytes, payload size as uint32 BE)
// followed by the payload. Frames may arrive split across chunks or many to a chunk.

import type { OutputStream } from './types.js';

export interface Frame {
  stream: OutputStream;
  payload: Buffer;
}

const HEADER_BYTES = 8;

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Takes the next chunk of the attach stream and answers every frame it completes. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];

    while (this.pending.length >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + size) break;

      // Type 2 is stderr; 0 (stdin echo) and 1 are treated as stdout.
      const stream: OutputStream = this.pending[0] === 2 ? 'stderr' : 'stdout';
      frames.push({ stream, payload: this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size) });
      this.pending = this.pending.subarray(HEADER_BYTES + size);
    }

    return frames;
  }
}
