import { createHash } from 'node:crypto';

/**
 * Passes an object's bytes through while measuring them: size and SHA-256 content hash, computed
 * on the way so the file is read once and never held whole.
 */
export class MeasuredBytes implements AsyncIterable<Uint8Array> {
  size = 0;
  done = false;
  private readonly hash = createHash('sha256');

  constructor(private readonly source: AsyncIterable<Uint8Array>) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for await (const chunk of this.source) {
      this.hash.update(chunk);
      this.size += chunk.length;
      yield chunk;
    }
    this.done = true;
  }

  /** Hex SHA-256 of the whole object; only once it has been read to the end. */
  sha256(): string {
    if (!this.done) throw new Error('the object was not read to the end');
    return this.hash.digest('hex');
  }
}
