// Docker's multiplexed attach stream (no TTY): frames of [type, 0, 0, 0, size (u32 BE)] then
// `size` bytes; type 1 = stdout, 2 = stderr. A frame may be split across chunks.

export type StreamSink = (stream: 1 | 2, chunk: Buffer) => void;

/** Returns a chunk handler that splits Docker frames and passes payloads to `sink`. */
export function demuxer(sink: StreamSink): (chunk: Buffer) => void {
  let pending: Buffer | null = null;
  let stream: 1 | 2 = 1;
  let remaining = 0;
  return (chunk: Buffer) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    while (buf.length > 0) {
      if (remaining > 0) {
        const take = Math.min(remaining, buf.length);
        sink(stream, buf.subarray(0, take));
        remaining -= take;
        buf = buf.subarray(take);
        continue;
      }
      if (buf.length < 8) {
        pending = Buffer.from(buf);
        return;
      }
      stream = buf[0] === 2 ? 2 : 1;
      remaining = buf.readUInt32BE(4);
      buf = buf.subarray(8);
    }
  };
}
