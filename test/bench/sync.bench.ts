import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalExecutor } from '../../libs/hosts/src/executors/local-executor';
import { syncTree } from '../../libs/storage/src/sync';

/**
 * `node -r @swc-node/register test/bench/sync.bench.ts`: our fssync (find + tar streamed through this process,
 * LocalExecutor on both sides) against `rsync -a` on the same machine, interleaved so both see the same
 * page cache and noise: a full copy into an empty directory, then an incremental pass after 1% of the files
 * changed. Env: BENCH_SYNC_MB (total data, default 512), BENCH_SYNC_FILES (default 5000), BENCH_SYNC_RUNS (3).
 */
const TOTAL_MB = Number(process.env.BENCH_SYNC_MB ?? 512);
const FILES = Number(process.env.BENCH_SYNC_FILES ?? 5000);
const RUNS = Number(process.env.BENCH_SYNC_RUNS ?? 3);
const LARGE = 8; // large files hold 3/4 of the bytes; the rest is spread over the small ones

const run = promisify(execFile);
const exec = new LocalExecutor();

function status(text: string): void {
  process.stderr.write(`\r[bench] ${text}`.padEnd(100));
}

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Random (incompressible) data cut from one pool: many small files in nested dirs, a few large ones. */
function makeDataSet(root: string): { files: string[]; bytes: number } {
  const total = TOTAL_MB * 1024 * 1024;
  const largeSize = Math.floor((total * 0.75) / LARGE);
  const small = Math.max(1, FILES - LARGE);
  const smallAvg = Math.max(1, Math.floor((total - largeSize * LARGE) / small));
  const pool = randomBytes(Math.min(64 << 20, Math.max(largeSize, smallAvg * 2) + 4096));
  const slice = (size: number) => {
    const start = Math.floor(Math.random() * Math.max(1, pool.length - size));
    return pool.subarray(start, start + size);
  };
  const files: string[] = [];
  let bytes = 0;
  for (let i = 0; i < LARGE; i++) {
    const p = join(root, 'large', `blob-${i}.bin`);
    mkdirSync(join(root, 'large'), { recursive: true });
    // Large files are written in pool-sized pieces (the pool may be smaller than one file).
    const parts: Buffer[] = [];
    for (let left = largeSize; left > 0; left -= pool.length) parts.push(slice(Math.min(left, pool.length)));
    writeFileSync(p, Buffer.concat(parts));
    files.push(p);
    bytes += largeSize;
    status(`data set: large ${i + 1}/${LARGE}`);
  }
  for (let i = 0; i < small; i++) {
    const dir = join(root, `d${i % 50}`, `s${Math.floor(i / 50) % 20}`);
    mkdirSync(dir, { recursive: true });
    const size = Math.max(1, Math.floor(smallAvg * (0.5 + Math.random())));
    writeFileSync(join(dir, `f${i}`), slice(size));
    files.push(join(dir, `f${i}`));
    bytes += size;
    if (i % 500 === 0) status(`data set: small ${i}/${small}`);
  }
  return { files, bytes };
}

/** Rewrites 1% of the files, one large among them (same sizes, new contents and mtimes): both must resend them. */
function changeOnePercent(files: string[]): number {
  let bytes = 0;
  const count = Math.max(1, Math.round(files.length / 100));
  for (let k = 0; k < count; k++) {
    const p = files[(k * 97) % files.length]; // the same files each run: the same work
    const size = statSync(p).size;
    writeFileSync(p, randomBytes(size));
    bytes += size;
  }
  return bytes;
}

/** Flushes dirty pages first (untimed), so a step does not pay for the writeback of the one before. */
async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  await run('sync');
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'bench-sync-'));
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const src = join(base, 'src');
    const data = makeDataSet(src);
    const mb = data.bytes / (1024 * 1024);
    const times = {
      fullOurs: [] as number[],
      fullRsync: [] as number[],
      incOurs: [] as number[],
      incRsync: [] as number[],
    };
    let changedMb = 0;
    for (let r = 0; r < RUNS; r++) {
      const ours = join(base, `ours-${r}`);
      const theirs = join(base, `rsync-${r}`);
      const doOurs = async () => {
        status(`run ${r + 1}/${RUNS} full: fssync`);
        times.fullOurs.push(await timeIt(() => syncTree({ exec, root: src }, { exec, root: ours })));
      };
      const doRsync = async () => {
        status(`run ${r + 1}/${RUNS} full: rsync`);
        times.fullRsync.push(await timeIt(() => run('rsync', ['-a', `${src}/`, `${theirs}/`])));
      };
      // Interleaved, alternating who goes first.
      for (const step of r % 2 ? [doRsync, doOurs] : [doOurs, doRsync]) await step();

      changedMb = changeOnePercent(data.files) / (1024 * 1024);
      const incOurs = async () => {
        status(`run ${r + 1}/${RUNS} incremental: fssync`);
        let sent = 0;
        times.incOurs.push(
          await timeIt(
            async () => (sent = (await syncTree({ exec, root: src }, { exec, root: ours })).transferredFiles),
          ),
        );
        if (sent < 1) throw new Error('the incremental pass sent nothing');
      };
      const incRsync = async () => {
        status(`run ${r + 1}/${RUNS} incremental: rsync`);
        times.incRsync.push(await timeIt(() => run('rsync', ['-a', `${src}/`, `${theirs}/`])));
      };
      for (const step of r % 2 ? [incRsync, incOurs] : [incOurs, incRsync]) await step();
      rmSync(ours, { recursive: true, force: true });
      rmSync(theirs, { recursive: true, force: true });
    }
    status('done\n');

    const rows = [
      ['full copy', p50(times.fullOurs), p50(times.fullRsync), mb],
      ['incremental (1% changed)', p50(times.incOurs), p50(times.incRsync), changedMb],
    ] as const;
    console.log(
      `\nfssync vs rsync -a, local → local: ${data.files.length} files, ${mb.toFixed(0)} MB, p50 of ${RUNS} runs (MB/s on the data sent)`,
    );
    const head = ['case', 'ours s', 'rsync s', 'MB/s ours', 'MB/s rsync', 'ratio'];
    const lines = rows.map(([name, o, rs, m]) => [
      name,
      o.toFixed(2),
      rs.toFixed(2),
      (m / o).toFixed(1),
      (m / rs).toFixed(1),
      (o / rs).toFixed(2),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const fmt = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    console.log(fmt(head));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const l of lines) console.log(fmt(l));
    console.log(
      `runs (s): full ours ${times.fullOurs.map((t) => t.toFixed(2)).join(' ')}, rsync ${times.fullRsync.map((t) => t.toFixed(2)).join(' ')}; ` +
        `incr ours ${times.incOurs.map((t) => t.toFixed(2)).join(' ')}, rsync ${times.incRsync.map((t) => t.toFixed(2)).join(' ')}`,
    );
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
