import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { demuxDockerLogs, toLines } from '@app/hosts/docker/docker-logs';

/** One Docker multiplexed-log frame: stream id, three zero bytes, big-endian length, payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demuxDockerLogs', () => {
  test('joins stdout and stderr frames in order, without headers', () => {
    const buf = Buffer.concat([
      frame(1, 'LOG:  database system is ready\n'),
      frame(2, 'WARNING: no TLS — ünïcode ok\n'),
      frame(1, 'LOG:  checkpoint complete\n'),
    ]);
    assert.equal(
      demuxDockerLogs(buf),
      'LOG:  database system is ready\nWARNING: no TLS — ünïcode ok\nLOG:  checkpoint complete\n',
    );
  });

  test('a frame split over several lines and an empty frame', () => {
    const buf = Buffer.concat([frame(1, 'a\nb\n'), frame(2, ''), frame(1, 'c\n')]);
    assert.equal(demuxDockerLogs(buf), 'a\nb\nc\n');
  });

  test('a plain (TTY) buffer is returned as text', () => {
    const text = 'redis 1:M * Ready to accept connections tcp\nsecond line\n';
    assert.equal(demuxDockerLogs(Buffer.from(text)), text);
  });

  // Known source bug (libs/hosts/src/docker/docker-logs.ts): a TTY buffer shorter than one 8-byte header never
  test('a short plain (TTY) buffer is returned as text', () => {
    assert.equal(demuxDockerLogs(Buffer.from('ok\n')), 'ok\n');
  });

  test('an empty buffer gives an empty string', () => {
    assert.equal(demuxDockerLogs(Buffer.alloc(0)), '');
  });
});

describe('toLines', () => {
  test('splits on newlines and drops only the trailing empty line', () => {
    assert.deepEqual(toLines('a\nb\n'), ['a', 'b']);
    assert.deepEqual(toLines('a\n\nb'), ['a', '', 'b']);
    assert.deepEqual(toLines(''), []);
  });

  test('demux + toLines gives one entry per log line', () => {
    const buf = Buffer.concat([frame(1, 'one\ntwo\n'), frame(2, 'three\n')]);
    assert.deepEqual(toLines(demuxDockerLogs(buf)), ['one', 'two', 'three']);
  });
});
