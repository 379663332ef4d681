import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  createReadStream,
  createWriteStream,
  linkSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  existsSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type {
  CommandExecutor,
  CommandResult,
  CommandStream,
  RunOptions,
  StreamOptions,
} from '@app/domain/ports/infrastructure';
import { LocalExecutor } from '@app/hosts/executors/local-executor';
import {
  archiveTree,
  extractArchive,
  listTree,
  planSync,
  readFile,
  removePath,
  syncTree,
  timeNs,
  writeFile,
  type SyncProgress,
  type TreeEntry,
  type TreeLocation,
} from '@app/storage/sync';

const exec = new LocalExecutor();
const at = (root: string, label = 'local'): TreeLocation => ({ exec, root, label });
const ODD = `odd name 'q' "dq" $x &;|<>*?\\back é.txt`;

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), 'fssync-test-'));
});
after(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
const fresh = (name: string) => join(base, `${name}-${n++}`);

/** ≥ 2000 files in nested dirs (a few MB), hard links, symlinks, odd names, owners, modes. */
function makeTree(root: string): void {
  mkdirSync(root, { recursive: true });
  for (let d = 0; d < 20; d++)
    for (let s = 0; s < 5; s++) {
      const dir = join(root, `d${d}`, `sub${s}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 21; f++)
        writeFileSync(join(dir, `f${f}`), randomBytes(((d * 7 + s * 13 + f * 31) % 2000) + 1));
    }
  mkdirSync(join(root, 'big'));
  writeFileSync(join(root, 'big', 'one.bin'), randomBytes(1 << 20));
  writeFileSync(join(root, 'big', 'two.bin'), randomBytes(600_000));
  // A hard-link group of 3 names in different directories.
  writeFileSync(join(root, 'big', 'h1'), randomBytes(100_000));
  linkSync(join(root, 'big', 'h1'), join(root, 'd1', 'h2'));
  linkSync(join(root, 'big', 'h1'), join(root, 'd2', 'sub1', 'h3'));
  mkdirSync(join(root, 'links'));
  symlinkSync('../d0/sub0/f0', join(root, 'links', 'rel'));
  symlinkSync('/etc/hostname', join(root, 'links', 'abs'));
  symlinkSync('nowhere/at/all', join(root, 'links', 'dangling'));
  lchownSync(join(root, 'links', 'rel'), 999, 999);
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'secret'), 'secret');
  chmodSync(join(root, 'secret'), 0o600);
  writeFileSync(join(root, 'private'), 'private');
  chmodSync(join(root, 'private'), 0o700);
  writeFileSync(join(root, 'script.sh'), '#!/bin/sh\n');
  chmodSync(join(root, 'script.sh'), 0o755);
  chmodSync(join(root, 'd3'), 0o750);
  chownSync(join(root, 'd4', 'sub2', 'f3'), 999, 999);
  chownSync(join(root, 'd4'), 999, 999);
  writeFileSync(join(root, 'd5', ODD), 'odd');
  writeFileSync(join(root, 'd5', '-dash'), 'dash');
  chmodSync(root, 0o700);
  chownSync(root, 999, 999);
}

const fields = (e: TreeEntry) => ({
  path: e.path,
  type: e.type,
  size: e.type === 'd' ? 0 : e.size,
  mtime: e.mtime,
  mode: e.mode,
  uid: e.uid,
  gid: e.gid,
  link: e.linkTarget,
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Same names, types, sizes, mtimes, modes, owners, link targets and file contents; hard links as one inode. */
async function assertSameTree(a: string, b: string): Promise<TreeEntry[]> {
  const [ta, tb] = await Promise.all([listTree(at(a)), listTree(at(b))]);
  const sort = (t: TreeEntry[]) => [...t].sort((x, y) => (x.raw < y.raw ? -1 : x.raw > y.raw ? 1 : 0));
  assert.deepEqual(sort(tb).map(fields), sort(ta).map(fields));
  for (const e of ta) if (e.type === 'f') assert.equal(sha(join(b, e.path)), sha(join(a, e.path)), e.path);
  // Hard-link groups: same grouping of names by inode on both sides.
  const groups = (t: TreeEntry[]) => {
    const m = new Map<string, string[]>();
    for (const e of t) if (e.type === 'f') m.set(e.inode, [...(m.get(e.inode) ?? []), e.raw]);
    return [...m.values()].map((g) => g.sort().join('|')).sort();
  };
  assert.deepEqual(groups(tb), groups(ta));
  return tb;
}

describe('fssync', () => {
  const src = () => join(base, 'src');
  before(() => makeTree(src()));

  test('scanner: root first, odd names, types, owners', async () => {
    const t = await listTree(at(src()));
    assert.equal(t[0].path, '');
    assert.equal(t[0].type, 'd');
    assert.equal(t[0].mode, 0o700);
    assert.equal(t[0].uid, 999);
    assert.ok(t.filter((e) => e.type === 'f').length >= 2000);
    const odd = t.find((e) => e.path === `d5/${ODD}`);
    assert.ok(odd && odd.type === 'f' && odd.size === 3);
    assert.equal(t.find((e) => e.path === 'links/dangling')?.linkTarget, 'nowhere/at/all');
    assert.equal(t.find((e) => e.path === 'big/h1')?.nlink, 3);
    assert.match(t[0].mtime, /^\d+\.\d{9}$/);
    assert.deepEqual(await listTree(at(join(base, 'does-not-exist'))), []);
  });

  test('first pass copies everything; a second changes exactly what changed; a third sends nothing', async () => {
    const dst = fresh('dst');
    const r1 = await syncTree(at(src()), at(dst));
    const tree = await assertSameTree(src(), dst);
    const nonDirs = tree.filter((e) => e.type !== 'd').length;
    assert.equal(r1.transferredFiles, nonDirs);
    assert.equal(r1.entries, tree.length);
    assert.equal(r1.deleted, 0);
    const h = ['big/h1', 'd1/h2', 'd2/sub1/h3'].map((p) => statSync(join(dst, p)).ino);
    assert.equal(new Set(h).size, 1, 'the hard-link group is one inode on the target');
    assert.equal(statSync(dst).mode & 0o7777, 0o700);
    assert.equal(statSync(dst).uid, 999);

    // 3 contents changed, 1 added, 1 deleted, 1 new hard link (2 names go), 1 mode changed: 7 names.
    const copy = fresh('work');
    execFileSync('cp', ['-a', `${src()}/.`, copy]);
    await syncTree(at(copy), at(dst));
    writeFileSync(join(copy, 'd0/sub0/f1'), 'changed 1');
    writeFileSync(join(copy, 'd7/sub3/f4'), randomBytes(5000));
    writeFileSync(join(copy, 'big/two.bin'), randomBytes(600_000));
    writeFileSync(join(copy, 'd9/new file'), 'new');
    unlinkSync(join(copy, 'd8/sub4/f20'));
    linkSync(join(copy, 'd6/sub1/f2'), join(copy, 'd6/f2-link'));
    chmodSync(join(copy, 'd3/sub0/f5'), 0o640);
    const r2 = await syncTree(at(copy), at(dst));
    assert.equal(r2.transferredFiles, 7);
    assert.equal(r2.deleted, 1);
    await assertSameTree(copy, dst);
    assert.equal(statSync(join(dst, 'd6/f2-link')).ino, statSync(join(dst, 'd6/sub1/f2')).ino);

    const r3 = await syncTree(at(copy), at(dst));
    assert.deepEqual([r3.transferredFiles, r3.transferredDirs, r3.transferredBytes, r3.deleted], [0, 0, 0, 0]);
  });

  test('checksum finds a same-size rewrite with its old mtime', async () => {
    const a = fresh('ck-src');
    const b = fresh('ck-dst');
    execFileSync('cp', ['-a', `${src()}/.`, a]);
    await syncTree(at(a), at(b));
    const file = join(a, 'd2/sub2/f7');
    const before = (await listTree(at(a))).find((e) => e.path === 'd2/sub2/f7')!;
    writeFileSync(file, randomBytes(before.size));
    execFileSync('touch', ['-d', `@${before.mtime}`, file]);
    const plain = await syncTree(at(a), at(b));
    assert.equal(plain.transferredFiles, 0);
    assert.notEqual(sha(join(b, 'd2/sub2/f7')), sha(file));
    const checked = await syncTree(at(a), at(b), { checksum: true });
    assert.equal(checked.transferredFiles, 1);
    await assertSameTree(a, b);
  });

  test('live source: a file removed between the scan and the copy fails a still pass, not a live one', async () => {
    const run = async (live: boolean) => {
      const a = fresh(`live-src-${live}`);
      const b = fresh(`live-dst-${live}`);
      mkdirSync(a, { recursive: true });
      for (let i = 0; i < 20; i++) writeFileSync(join(a, `f${i}`), `file ${i}`);
      // The database deletes a file after the scan, just as tar starts reading (a WAL segment recycled).
      const racing: CommandExecutor = {
        run: (argv, o) => exec.run(argv, o),
        spawn: async (argv, o) => {
          if (argv[0] === 'tar' && argv.includes('-cf')) rmSync(join(a, 'f7'));
          return exec.spawn(argv, o);
        },
      };
      const r = await syncTree({ exec: racing, root: a }, { exec, root: b }, { live });
      return { a, b, r };
    };
    await assert.rejects(run(false), /tar -c \(source\) failed/);
    const { a, b } = await run(true);
    assert.equal(existsSync(join(b, 'f7')), false);
    assert.equal(readFileSync(join(b, 'f8'), 'utf8'), 'file 8');
    // The next pass, on a still source, converges.
    const again = await syncTree({ exec, root: a }, { exec, root: b });
    assert.equal(again.transferredFiles, 0);
  });

  test('a write in the tick the live pass read a file (same size, same mtime) is caught by the final pass', async () => {
    const run = async (withSince: boolean) => {
      const a = fresh(`tick-src-${withSince}`);
      const b = fresh(`tick-dst-${withSince}`);
      mkdirSync(a, { recursive: true });
      for (let i = 0; i < 5; i++) {
        writeFileSync(join(a, `f${i}`), `old ${i}`);
        // Written long ago: not within the margin before the live pass.
        execFileSync('touch', ['-d', '@1600000000', join(a, `f${i}`)]);
      }
      const file = join(a, 'f3');
      // The database writes f3 during the live pass, just before tar reads it.
      const racing: CommandExecutor = {
        run: (argv, o) => exec.run(argv, o),
        spawn: async (argv, o) => {
          if (argv[0] === 'tar' && argv.includes('-cf')) writeFileSync(file, 'A'.repeat(64));
          return exec.spawn(argv, o);
        },
      };
      const first = await syncTree({ exec: racing, root: a }, at(b), { live: true });
      assert.match(first.sourceStartedAt ?? '', /^\d+\.\d{9}$/);
      assert.equal(readFileSync(join(b, 'f3'), 'utf8'), 'A'.repeat(64));
      // ...and again in the same clock tick, after tar read it: same size, same mtime.
      const mtime = (await listTree(at(a))).find((e) => e.path === 'f3')!.mtime;
      writeFileSync(file, 'B'.repeat(64));
      execFileSync('touch', ['-d', `@${mtime}`, file]);
      const final = await syncTree(at(a), at(b), withSince ? { modifiedSince: first.sourceStartedAt } : {});
      return { b, final };
    };
    const blind = await run(false);
    assert.equal(blind.final.transferredFiles, 0);
    assert.equal(readFileSync(join(blind.b, 'f3'), 'utf8'), 'A'.repeat(64), 'size and mtime alone cannot see it');
    const { b, final } = await run(true);
    assert.equal(readFileSync(join(b, 'f3'), 'utf8'), 'B'.repeat(64));
    // Only what the source touched since the live pass began goes again, not the untouched files.
    assert.equal(final.transferredFiles, 1);
  });

  test('planSync: resendFromNs sends recently modified files whatever their metadata; timeNs parses find and date', () => {
    const entry = (raw: string, mtime: string): TreeEntry => ({
      path: raw,
      raw,
      type: raw === '' ? 'd' : 'f',
      size: 3,
      mtime,
      mode: 0o644,
      uid: 0,
      gid: 0,
      inode: `1:${raw || 'root'}`,
      nlink: 1,
      linkTarget: '',
      rawLink: '',
    });
    const tree = [entry('', '100.000000000'), entry('old', '100.000000000'), entry('new', '200.500000000')];
    assert.deepEqual(planSync(tree, tree, { delete: true }).send, []);
    const plan = planSync(tree, tree, { delete: true, resendFromNs: timeNs('200.5') });
    assert.deepEqual(
      plan.send.map((e) => e.raw),
      ['', 'new'],
    );
    assert.equal(timeNs('1700000000.000000001'), 1_700_000_000_000_000_001n);
    assert.equal(timeNs('7'), 7_000_000_000n);
    assert.equal(timeNs('-1.500000000'), -1_500_000_000n);
    assert.throws(() => timeNs('1e9'), /not a time/);
  });

  test('type changes, deletions, and delete: false', async () => {
    const a = fresh('tc-src');
    const b = fresh('tc-dst');
    mkdirSync(join(a, 'x/deep/er'), { recursive: true });
    writeFileSync(join(a, 'x/deep/er/file'), 'x');
    writeFileSync(join(a, 'f2d'), 'file now');
    mkdirSync(join(a, 'd2f'));
    writeFileSync(join(a, 'd2f/inner'), 'inner');
    symlinkSync('f2d', join(a, 'l2f'));
    writeFileSync(join(a, 'gone'), 'bye');
    await syncTree(at(a), at(b));

    rmSync(join(a, 'f2d'));
    mkdirSync(join(a, 'f2d'));
    writeFileSync(join(a, 'f2d/child'), 'child');
    rmSync(join(a, 'd2f'), { recursive: true });
    writeFileSync(join(a, 'd2f'), 'dir now a file');
    rmSync(join(a, 'l2f'));
    writeFileSync(join(a, 'l2f'), 'link now a file');
    rmSync(join(a, 'x'), { recursive: true });
    const r = await syncTree(at(a), at(b));
    // Removed: f2d (file), d2f + inner, l2f, x + deep + er + file.
    assert.equal(r.deleted, 8);
    await assertSameTree(a, b);

    writeFileSync(join(b, 'target-only'), 'kept');
    rmSync(join(a, 'gone'));
    const keep = await syncTree(at(a), at(b), { delete: false });
    assert.equal(keep.deleted, 0);
    assert.equal(readFileSync(join(b, 'target-only'), 'utf8'), 'kept');
    assert.equal(readFileSync(join(b, 'gone'), 'utf8'), 'bye');
    await syncTree(at(a), at(b));
    await assertSameTree(a, b);
  });

  test('a target file hard linked elsewhere is replaced, not written in place', async () => {
    const a = fresh('hl-src');
    const b = fresh('hl-dst');
    const outside = fresh('hl-outside');
    mkdirSync(a);
    mkdirSync(outside);
    writeFileSync(join(a, 'data'), 'version 1');
    await syncTree(at(a), at(b));
    linkSync(join(b, 'data'), join(outside, 'snapshot'));
    writeFileSync(join(a, 'data'), 'version 2, longer');
    await syncTree(at(a), at(b));
    assert.equal(readFileSync(join(b, 'data'), 'utf8'), 'version 2, longer');
    assert.equal(readFileSync(join(outside, 'snapshot'), 'utf8'), 'version 1');

    // Two names linked on the target but separate files on the source: split again.
    writeFileSync(join(a, 'twin'), 'version 2, longer');
    execFileSync('touch', ['-r', join(a, 'data'), join(a, 'twin')]);
    await syncTree(at(a), at(b));
    rmSync(join(b, 'twin'));
    linkSync(join(b, 'data'), join(b, 'twin'));
    await syncTree(at(a), at(b));
    assert.notEqual(statSync(join(b, 'twin')).ino, statSync(join(b, 'data')).ino);
    await assertSameTree(a, b);
  });

  test('archive round trip (through writeFile/readFile) gives the same tree', async () => {
    const out = fresh('archive');
    const sink = new PassThrough();
    const written = writeFile({ exec }, join(out, 'backup', 'tree.tar.gz'), sink);
    const progress: SyncProgress[] = [];
    const arch = await archiveTree(at(src()), sink, { onProgress: (p) => void progress.push(p) });
    assert.equal((await written).bytes, arch.bytes);
    assert.ok(arch.files > 2000);
    assert.equal(progress.at(-1)?.phase, 'done');

    const restored = fresh('restored');
    const { stream, done } = await readFile({ exec }, join(out, 'backup', 'tree.tar.gz'));
    const ext = await extractArchive(stream, at(restored), { totalBytes: arch.bytes });
    await done;
    assert.equal(ext.bytes, arch.bytes);
    await assertSameTree(src(), restored);

    // The same through local files, and the missing-file case: the stream errors, done rejects.
    const file = join(out, 'plain.tar.gz');
    await archiveTree(at(src()), createWriteStream(file));
    const again = fresh('restored');
    await extractArchive(createReadStream(file), at(again));
    await assertSameTree(src(), again);
    const missing = await readFile({ exec }, join(out, 'nope.tar.gz'));
    await assert.rejects(extractArchive(missing.stream, at(fresh('never'))), /cat \(read\)|tar/);
    await assert.rejects(missing.done, /cat \(read\) failed.*No such file/);

    await removePath({ exec }, out);
    assert.throws(() => statSync(out));
  });

  test('hostile paths are rejected before any command runs', async () => {
    const calls: string[][] = [];
    const spy: CommandExecutor = {
      run: async (argv: readonly string[], _o?: RunOptions): Promise<CommandResult> => {
        calls.push([...argv]);
        throw new Error('must not run');
      },
      spawn: async (argv: readonly string[], _o?: StreamOptions): Promise<CommandStream> => {
        calls.push([...argv]);
        throw new Error('must not run');
      },
    };
    const good = { exec: spy, root: '/tmp/good' };
    for (const bad of [
      '/tmp/x;rm -rf /',
      'relative/path',
      '/tmp/../etc',
      '/tmp/a/..',
      '/',
      '//',
      '',
      '/tmp/$(id)',
      '/tmp/a\nb',
    ]) {
      await assert.rejects(syncTree({ exec: spy, root: bad }, good), /invalid/, bad);
      await assert.rejects(syncTree(good, { exec: spy, root: bad }), /invalid/, bad);
      await assert.rejects(listTree({ exec: spy, root: bad }), /invalid/, bad);
      await assert.rejects(archiveTree({ exec: spy, root: bad }, new PassThrough()), /invalid/, bad);
      await assert.rejects(extractArchive(new PassThrough(), { exec: spy, root: bad }), /invalid/, bad);
      await assert.rejects(writeFile({ exec: spy }, bad, new PassThrough()), /invalid/, bad);
      await assert.rejects(readFile({ exec: spy }, bad), /invalid/, bad);
      await assert.rejects(removePath({ exec: spy }, bad), /invalid/, bad);
    }
    assert.deepEqual(calls, []);
  });

  test('progress: throttled reports, bytesDone ≤ bytesTotal, ends with done', async () => {
    const seen: SyncProgress[] = [];
    const r = await syncTree(at(src()), at(fresh('prog')), {
      progressIntervalMs: 0,
      onProgress: (p) => void seen.push(p),
    });
    assert.ok(seen.some((p) => p.phase === 'transferring' && p.bytesDone > 0 && p.bytesDone < p.bytesTotal));
    for (const p of seen) {
      assert.ok(p.bytesDone <= p.bytesTotal, JSON.stringify(p));
      assert.ok(p.filesDone <= p.filesTotal, JSON.stringify(p));
    }
    const last = seen.at(-1)!;
    assert.equal(last.phase, 'done');
    assert.equal(last.bytesDone, r.transferredBytes);
    assert.equal(last.filesDone, r.transferredFiles + r.transferredDirs);

    const few: SyncProgress[] = [];
    await syncTree(at(src()), at(fresh('prog')), { onProgress: (p) => void few.push(p) });
    assert.ok(few.length < 20, `${few.length} reports with the default 500 ms interval`);
  });

  test('a failing side stops the other and the error names the stage', async () => {
    // tar -x that reads a little then fails; tar -c that fails at once; a find that fails.
    const faulty = (replace: (argv: readonly string[]) => string[] | undefined): CommandExecutor => ({
      run: (argv, o) => exec.run(argv, o),
      spawn: (argv, o) => exec.spawn(replace(argv) ?? argv, o),
    });
    const badX = faulty((argv) =>
      argv[0] === 'tar' && argv.includes('-xf')
        ? ['sh', '-c', 'head -c 10000 >/dev/null; echo "boom: disk full" >&2; exit 2']
        : undefined,
    );
    await assert.rejects(syncTree(at(src()), { exec: badX, root: fresh('fail'), label: 'tgt' }), (err: Error) => {
      assert.match(err.message, /tar -x \(target\) failed on tgt:.* \(exit 2\): boom: disk full/);
      return true;
    });
    // The reader fails before reading anything, or exits 0 too early: still its fault, not the writer's.
    for (const [script, re] of [
      ['echo "boom: no space" >&2; exit 2', /tar -x \(target\) failed on .* \(exit 2\): boom: no space/],
      ['head -c 1000 >/dev/null; exit 0', /tar -x \(target\) on .* exited before reading all its input/],
    ] as const) {
      const early = faulty((argv) => (argv[0] === 'tar' && argv.includes('-xf') ? ['sh', '-c', script] : undefined));
      await assert.rejects(syncTree(at(src()), { exec: early, root: fresh('fail') }), re);
    }
    const badC = faulty((argv) =>
      argv[0] === 'tar' && argv.includes('-cf') ? ['sh', '-c', 'echo "cannot read" >&2; exit 2'] : undefined,
    );
    await assert.rejects(
      syncTree({ exec: badC, root: src(), label: 'srchost' }, at(fresh('fail'))),
      /tar -c \(source\) failed on srchost.*cannot read/,
    );
    const badFind = faulty((argv) => (argv[0] === 'find' ? ['sh', '-c', 'echo "find: oops" >&2; exit 1'] : undefined));
    await assert.rejects(syncTree({ exec: badFind, root: src() }, at(fresh('fail'))), /find \(scan\) failed.*oops/);
    await assert.rejects(syncTree(at(join(base, 'no-such-source')), at(fresh('fail'))), /does not exist/);
    await assert.rejects(syncTree(at(src()), at(join(src(), 'inner'))), /overlap/);
    await assert.rejects(syncTree(at(join(src(), 'd1')), at(src())), /overlap/);
    // The target root under a regular file: mkdir fails.
    const blocker = join(base, 'blocker');
    writeFileSync(blocker, 'x');
    await assert.rejects(syncTree(at(src()), at(join(blocker, 'sub'))), /failed/);
    // A source stream that errors mid-way: tar -x is stopped, the error is the stream's.
    const gz: Buffer[] = [];
    const sink = new PassThrough().on('data', (c: Buffer) => gz.push(c));
    await archiveTree(at(src()), sink);
    const broken = new PassThrough();
    const p = extractArchive(broken, at(fresh('fail')));
    broken.write(Buffer.concat(gz).subarray(0, 100_000)); // a valid start: gzip waits for more
    setTimeout(() => broken.destroy(new Error('upstream went away')), 50);
    await assert.rejects(p, /upstream went away/);
    // A source that fails at once, while the target is still being prepared: the same error, no crash.
    const gone = new PassThrough();
    const early = extractArchive(gone, at(fresh('fail')));
    gone.destroy(new Error('gone before the start'));
    await assert.rejects(early, /gone before the start/);
  });

  test('names with odd bytes (backslashes, newline-free specials) survive tar -T', async () => {
    const a = fresh('odd');
    const b = fresh('odd-dst');
    mkdirSync(a);
    for (const name of ['a\\nb', 'tab\there', '\\\\', 'x*[y]?', '-rf', ' lead space', 'trail space ', 'ünï'])
      writeFileSync(join(a, name), name);
    const r = await syncTree(at(a), at(b));
    assert.equal(r.transferredFiles, 8);
    await assertSameTree(a, b);
  });
});
