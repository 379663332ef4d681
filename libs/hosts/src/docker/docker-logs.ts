/**
 * Docker multiplexes stdout/stderr of a non-TTY container into frames: 1 byte stream id, 3 zero bytes,
 * a big-endian uint32 length, then the payload. Returns the payload text, frames in order.
 */
export function demuxDockerLogs(buf: Buffer): string {
  // Shorter than one frame header: cannot be multiplexed, so it is plain text.
  if (buf.length < 8) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const stream = buf[off];
    const len = buf.readUInt32BE(off + 4);
    if (stream > 2 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) {
      // Not multiplexed (a TTY container): the whole buffer is plain text.
      return buf.toString('utf8');
    }
    parts.push(buf.subarray(off + 8, off + 8 + len));
    off += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}

export function toLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
